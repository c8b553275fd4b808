import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { verifySlackRequest } from '@slack/bolt'
import { verifyKey } from 'discord-interactions'
import { Signature as HubspotSignature } from '@hubspot/api-client'
import { EventWebhook } from '@sendgrid/eventwebhook'
import { LinearWebhookClient } from '@linear/sdk/webhooks'
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto'
import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import { WebhooksHelper } from 'square'
import Stripe from 'stripe'
import { Webhook as SvixWebhook } from 'svix'
import twilioSdk from 'twilio'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import {
  genericHmacScheme,
  paypalScheme,
  webhookSchemes,
  type RegisteredWebhookSchemeName,
  type WebhookScheme,
  type WebhookSchemeName,
} from './index.js'
import { selfSignedCertificate } from './verify/self-signed.test.js'

interface Case {
  title: string
  name: WebhookSchemeName
  /** A scheme built with options, rather than found by name. */
  scheme?: WebhookScheme
  /** Options `sign` needs for a secret besides the payload (PayPal's webhook id, cert URL). */
  signExtra?: (secret: string) => Record<string, string>
  /** The body sent for a payload signed at `now`, when the scheme reads its time from it. */
  wrap?: (payload: Uint8Array, now: number) => Uint8Array
  /** When a signature made at `now` says it was signed; for schemes that sign a time. */
  signedAtOf?: (now: number) => number
  /** Epoch ms for the text in the timestamp slot. Default: unix seconds. */
  readTime?: (text: string) => number | undefined
  /** False when a signature is randomised (ECDSA). */
  deterministic?: boolean
  /** False for GitLab's token, which does not cover the body. */
  signsBody?: boolean
  /** Signing secrets. */
  secret: fc.Arbitrary<string>
  /** What `verify` is given for a signing secret: the secret itself unless it is a private key. */
  verifyingKey?: (secret: string) => string
  /** The key a secret stands for: two secrets with one key sign alike. */
  keyOf: (secret: string) => string
  /** Options a request needs besides the secret: the URL, for the schemes that sign it. */
  request?: (body: Uint8Array) => { url: string }
  /** Where the signature sits in the signed headers: header name and the text before it. */
  slot: (headers: Record<string, string>) => { header: string; before: string }
  /** Where the signed timestamp sits, for the schemes that sign one: its header and the text around it. */
  timestampSlot?: (headers: Record<string, string>) => {
    header: string
    before: string
    after: string
  }
  /** Fragments that garbage header values are built from, so some get deep into the parser. */
  fragments: string[]
}

// HMAC pads short keys with zero bytes, so keys that differ only in trailing zeros are one key.
const hmacKeyOf = (bytes: Buffer): string => bytes.toString('hex').replace(/(00)+$/, '')
const utf8KeyOf = (secret: string): string => hmacKeyOf(Buffer.from(secret, 'utf8'))
const base64KeyOf = (secret: string): string =>
  hmacKeyOf(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))

const textSecret = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((s) => !/^\s*$/.test(s))
const base64Secret = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean())
  .map(([key, prefixed]) => (prefixed ? 'whsec_' : '') + Buffer.from(key).toString('base64'))
// An Ed25519 secret key `whsk_<base64 seed>`, and the public key `whpk_…` that verifies it.
const ed25519Secret = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((seed) => `whsk_${Buffer.from(seed).toString('base64')}`)
const publicKeyOf = (secret: string): string => {
  const seed = Buffer.from(secret.replace(/^whsk_/, ''), 'base64')
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const { x = '' } = createPublicKey(key).export({ format: 'jwk' })
  return `whpk_${Buffer.from(x, 'base64url').toString('base64')}`
}
const standardTimestamp = (prefix: string) => () => ({
  header: `${prefix}-timestamp`,
  before: '',
  after: '',
})
const seconds = (now: number) => Math.floor(now / 1000) * 1000
const milliseconds = (now: number) => now
const readRfc3339 = (text: string) =>
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(text) ? Date.parse(text) : undefined

// SendGrid and PayPal keys are made once: generating them per run would be slow.
const sendgridPairs = [0, 1, 2].map(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }))
const sendgridPublic = new Map(
  sendgridPairs.map((pair) => [
    pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  ]),
)
// Valid from long before to long after any clock the properties read.
const paypalCerts = [0, 1].map(() =>
  selfSignedCertificate(undefined, new Date(Date.UTC(1900, 0, 1)), new Date(Date.UTC(2300, 0, 1))),
)
const paypalUrlOf = (i: number) => `https://api.paypal.com/v1/notifications/certs/CERT-${i}`
const paypalIdOf = (i: number) => `WEBHOOK${i}ID`
const paypalIndex = (secret: string) => paypalCerts.findIndex((c) => c.privateKeyPem === secret)
const paypal = paypalScheme({
  fetchCertificate: async (url) => {
    const cert = paypalCerts.find((_, i) => paypalUrlOf(i) === url.href)
    if (!cert) throw new Error('no such certificate')
    return cert.certificatePem
  },
})
beforeAll(async () => {
  for (const i of paypalCerts.keys()) await paypal.loadCertificate(paypalUrlOf(i))
})
const textHeader =
  (header: string, before = '') =>
  () => ({ header, before })

const standardFragments = ['v1,', 'v1a,', ',', ' ', '.', 'msg_1', '1767268800', 'AB+/', '=', 'é']

const cases: Case[] = [
  {
    title: 'stripe',
    name: 'stripe',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: (headers) => ({
      header: 'Stripe-Signature',
      before: headers['Stripe-Signature']?.split('v1=')[0] + 'v1=',
    }),
    timestampSlot: (headers) => {
      const value = headers['Stripe-Signature'] ?? ''
      return { header: 'Stripe-Signature', before: 't=', after: value.slice(value.indexOf(',')) }
    },
    fragments: ['t=', 'v1=', 'v0=', ',', ' ', '=', '1767268800', '0', 'ab12', 'é'],
  },
  {
    title: 'github',
    name: 'github',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: () => ({ header: 'X-Hub-Signature-256', before: 'sha256=' }),
    fragments: ['sha256=', 'sha1=', '=', 'ab12', '0', ' ', 'é'],
  },
  {
    title: 'shopify',
    name: 'shopify',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: () => ({ header: 'X-Shopify-Hmac-Sha256', before: '' }),
    fragments: ['AB', '+/', '=', '==', ' ', 'é'],
  },
  {
    title: 'standard-webhooks',
    name: 'standard-webhooks',
    secret: base64Secret,
    keyOf: base64KeyOf,
    slot: () => ({ header: 'webhook-signature', before: 'v1,' }),
    timestampSlot: standardTimestamp('webhook'),
    fragments: standardFragments,
  },
  {
    title: 'standard-webhooks (Ed25519 v1a)',
    name: 'standard-webhooks',
    secret: ed25519Secret,
    verifyingKey: publicKeyOf,
    keyOf: (secret) => secret,
    slot: () => ({ header: 'webhook-signature', before: 'v1a,' }),
    timestampSlot: standardTimestamp('webhook'),
    fragments: standardFragments,
  },
  {
    title: 'svix',
    name: 'svix',
    secret: base64Secret,
    keyOf: base64KeyOf,
    slot: () => ({ header: 'svix-signature', before: 'v1,' }),
    timestampSlot: standardTimestamp('svix'),
    fragments: standardFragments,
  },
  {
    title: 'svix (Ed25519 v1a)',
    name: 'svix',
    secret: ed25519Secret,
    verifyingKey: publicKeyOf,
    keyOf: (secret) => secret,
    slot: () => ({ header: 'svix-signature', before: 'v1a,' }),
    timestampSlot: standardTimestamp('svix'),
    fragments: standardFragments,
  },
  {
    title: 'slack',
    name: 'slack',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: () => ({ header: 'X-Slack-Signature', before: 'v0=' }),
    timestampSlot: () => ({ header: 'X-Slack-Request-Timestamp', before: '', after: '' }),
    fragments: ['v0=', 'v1=', '=', 'ab12', '1767268800', ' ', 'é'],
  },
  {
    // JSON bodies: the URL carries the body's SHA-256, so every byte counts. (Form bodies are
    // verified as the parameters Twilio signs; see twilio.test.ts.)
    title: 'twilio',
    name: 'twilio',
    secret: textSecret,
    keyOf: utf8KeyOf,
    request: (body) => ({
      url: `https://example.com/twilio?bodySHA256=${createHash('sha256').update(body).digest('hex')}`,
    }),
    slot: () => ({ header: 'X-Twilio-Signature', before: '' }),
    fragments: ['AB', '+/', '=', '==', ' ', 'é'],
  },
  {
    title: 'paddle',
    name: 'paddle',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: (headers) => ({
      header: 'Paddle-Signature',
      before: `${headers['Paddle-Signature']?.split('h1=')[0]}h1=`,
    }),
    timestampSlot: (headers) => {
      const value = headers['Paddle-Signature'] ?? ''
      return { header: 'Paddle-Signature', before: 'ts=', after: value.slice(value.indexOf(';')) }
    },
    fragments: ['ts=', 'h1=', ';', ' ', '=', '1767268800', 'ab12', 'é'],
  },
  {
    title: 'square',
    name: 'square',
    secret: textSecret,
    keyOf: utf8KeyOf,
    request: () => ({ url: 'https://example.com/webhooks/square' }),
    slot: () => ({ header: 'x-square-hmacsha256-signature', before: '' }),
    fragments: ['AB', '+/', '=', '==', ' ', 'é'],
  },
  {
    title: 'discord',
    name: 'discord',
    secret: fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((seed) => Buffer.from(seed).toString('hex')),
    verifyingKey: (seed) => {
      const whpk = publicKeyOf(`whsk_${Buffer.from(seed, 'hex').toString('base64')}`)
      return Buffer.from(whpk.replace(/^whpk_/, ''), 'base64').toString('hex')
    },
    keyOf: (seed) => seed,
    slot: () => ({ header: 'X-Signature-Ed25519', before: '' }),
    timestampSlot: () => ({ header: 'X-Signature-Timestamp', before: '', after: '' }),
    fragments: ['ab', '0f', '1767268800', ' ', 'é'],
  },
  {
    title: 'linear',
    name: 'linear',
    secret: textSecret,
    keyOf: utf8KeyOf,
    // Linear signs its time inside the body: the payload rides in a body that carries it.
    wrap: (payload, now) =>
      Buffer.from(
        `{"type":"Issue","data":"${Buffer.from(payload).toString('hex')}","webhookTimestamp":${now}}`,
      ),
    signedAtOf: milliseconds,
    slot: textHeader('Linear-Signature'),
    fragments: ['ab12', '0', ' ', 'é'],
  },
  {
    title: 'hubspot',
    name: 'hubspot',
    secret: textSecret,
    keyOf: utf8KeyOf,
    request: () => ({ url: 'https://example.com/webhooks/hubspot?portal=1' }),
    slot: textHeader('X-HubSpot-Signature-v3'),
    timestampSlot: () => ({ header: 'X-HubSpot-Request-Timestamp', before: '', after: '' }),
    signedAtOf: milliseconds,
    readTime: (t) => (/^\d{1,15}$/.test(t) ? Number(t) : undefined),
    fragments: ['AB', '+/', '=', '1767268800000', ' ', 'é'],
  },
  {
    title: 'sendgrid',
    name: 'sendgrid',
    secret: fc.constantFrom(...sendgridPublic.keys()),
    verifyingKey: (secret) => sendgridPublic.get(secret) ?? '',
    keyOf: (secret) => secret,
    deterministic: false,
    slot: textHeader('X-Twilio-Email-Event-Webhook-Signature'),
    timestampSlot: () => ({
      header: 'X-Twilio-Email-Event-Webhook-Timestamp',
      before: '',
      after: '',
    }),
    fragments: ['MEUCI', 'AB', '+/', '=', '1767268800', ' ', 'é'],
  },
  {
    title: 'lemon-squeezy',
    name: 'lemon-squeezy',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('X-Signature'),
    fragments: ['ab12', '0', ' ', 'é'],
  },
  {
    title: 'typeform',
    name: 'typeform',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('Typeform-Signature', 'sha256='),
    fragments: ['sha256=', 'AB', '+/', '=', ' ', 'é'],
  },
  {
    title: 'calendly',
    name: 'calendly',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: (headers) => ({
      header: 'Calendly-Webhook-Signature',
      before: `${headers['Calendly-Webhook-Signature']?.split('v1=')[0]}v1=`,
    }),
    timestampSlot: (headers) => {
      const value = headers['Calendly-Webhook-Signature'] ?? ''
      return {
        header: 'Calendly-Webhook-Signature',
        before: 't=',
        after: value.slice(value.indexOf(',')),
      }
    },
    fragments: ['t=', 'v1=', ',', ' ', '=', '1767268800', 'ab12', 'é'],
  },
  {
    title: 'gitlab',
    name: 'gitlab',
    secret: textSecret.filter((s) => s.trim() === s && !/[\0\r\n]/.test(s)),
    keyOf: (secret) => secret,
    signsBody: false,
    slot: textHeader('X-Gitlab-Token'),
    fragments: ['glpat-', 'ab12', ' ', 'é'],
  },
  {
    title: 'twitch',
    name: 'twitch',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('Twitch-Eventsub-Message-Signature', 'sha256='),
    timestampSlot: () => ({
      header: 'Twitch-Eventsub-Message-Timestamp',
      before: '',
      after: '',
    }),
    signedAtOf: milliseconds,
    readTime: readRfc3339,
    fragments: ['sha256=', '2026-01-01T00:00:00', '.123', 'Z', 'ab12', ' ', 'é'],
  },
  {
    title: 'zoom',
    name: 'zoom',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('x-zm-signature', 'v0='),
    timestampSlot: () => ({ header: 'x-zm-request-timestamp', before: '', after: '' }),
    fragments: ['v0=', 'ab12', '1767268800', ' ', 'é'],
  },
  {
    title: 'xero',
    name: 'xero',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('x-xero-signature'),
    fragments: ['AB', '+/', '=', ' ', 'é'],
  },
  {
    title: 'intuit',
    name: 'intuit',
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('intuit-signature'),
    fragments: ['AB', '+/', '=', ' ', 'é'],
  },
  {
    title: 'paypal',
    name: 'paypal',
    scheme: paypal,
    secret: fc.constantFrom(...paypalCerts.map((c) => c.privateKeyPem)),
    verifyingKey: (secret) => paypalIdOf(paypalIndex(secret)),
    keyOf: (secret) => secret,
    signExtra: (secret) => ({
      webhookId: paypalIdOf(paypalIndex(secret)),
      certUrl: paypalUrlOf(paypalIndex(secret)),
    }),
    slot: textHeader('paypal-transmission-sig'),
    timestampSlot: () => ({ header: 'paypal-transmission-time', before: '', after: '' }),
    readTime: readRfc3339,
    fragments: ['SHA256withRSA', '2026-01-01T00:00:00Z', 'AB', '+/', '=', ' ', 'é'],
  },
  {
    title: 'generic-hmac (sha512, base64url, {timestamp}:{id}:{body})',
    name: 'generic-hmac',
    scheme: genericHmacScheme({
      algorithm: 'sha512',
      encoding: 'base64url',
      header: 'X-Acme-Signature',
      prefix: 's=',
      signedContent: '{timestamp}:{id}:{body}',
      timestampHeader: 'X-Acme-Timestamp',
      idHeader: 'X-Acme-Id',
    }),
    secret: textSecret,
    keyOf: utf8KeyOf,
    slot: textHeader('X-Acme-Signature', 's='),
    timestampSlot: () => ({ header: 'X-Acme-Timestamp', before: '', after: '' }),
    fragments: ['s=', 'AB', '-_', '1767268800', ':', ' ', 'é'],
  },
]

const payloadArb = fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 512 }))
// Visible ASCII without "." (Standard Webhooks' separator) or "|" (PayPal's).
const idArb = fc.stringMatching(/^[\x21-\x2d\x2f-\x7b\x7d\x7e]{1,40}$/)
// Any millisecond from 1970 to 2100.
const nowArb = fc.integer({ min: 0, max: 4_102_444_800_000 })

const bytesOf = (payload: string | Uint8Array): Uint8Array =>
  typeof payload === 'string' ? new TextEncoder().encode(payload) : payload

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn()
    return undefined
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
}

const rejections: (ErrorCode | undefined)[] = [
  'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
  'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
  'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
  'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
]

describe.each(cases)('$title properties', (c) => {
  const { name, secret: secretArb, slot, timestampSlot, fragments } = c
  const { deterministic = true, signsBody = true } = c
  const scheme = c.scheme ?? webhookSchemes[name as RegisteredWebhookSchemeName]
  const signedAtOf = c.signedAtOf ?? (timestampSlot ? seconds : undefined)
  const readTime =
    c.readTime ?? ((t: string) => (/^\d{1,12}$/.test(t) ? Number(t) * 1000 : undefined))
  const keyOf = (secret: string) => c.verifyingKey?.(secret) ?? secret
  const requestOf = (payload: string | Uint8Array) => c.request?.(bytesOf(payload)) ?? {}
  /** Signs `payload` and returns the body to send, its headers and the options that verify them. */
  const signed = (payload: string | Uint8Array, secret: string, clock: FakeClock, id = 'msg_1') => {
    const body = c.wrap ? c.wrap(bytesOf(payload), clock.now()) : payload
    const request = requestOf(body)
    const headers = scheme.sign({
      ...request,
      ...c.signExtra?.(secret),
      payload: body,
      secret,
      clock,
      id,
    })
    return { body, headers, options: { ...request, secrets: [keyOf(secret)], clock } }
  }

  it('verifies what it signs, as a string or as bytes', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, idArb, nowArb, (payload, secret, id, now) => {
        const clock = new FakeClock({ now })
        const { body, headers, options } = signed(payload, secret, clock, id)
        const bytes = bytesOf(body)
        expect(scheme.verify(headers, body, options).scheme).toBe(name)
        expect(scheme.verify(headers, bytes, options).secretIndex).toBe(0)
        const again = scheme.sign({
          ...requestOf(body),
          ...c.signExtra?.(secret),
          payload: bytes,
          secret,
          clock,
          id,
        })
        if (deterministic) expect(again).toEqual(headers)
        expect(scheme.verify(again, body, options).scheme).toBe(name)
      }),
      { numRuns: deterministic ? 100 : 30 },
    )
  })

  it.runIf(signsBody)('rejects a body with any one byte changed', () => {
    const arb = fc.tuple(
      fc.uint8Array({ minLength: 1, maxLength: 256 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
    )
    fc.assert(
      fc.property(arb, secretArb, ([payload, at, flip], secret) => {
        const { body, headers, options } = signed(payload, secret, new FakeClock())
        const changed = Uint8Array.from(bytesOf(body))
        const i = at % changed.length
        changed[i] = (changed[i] ?? 0) ^ flip
        expect(codeOf(() => scheme.verify(headers, changed, options))).toBe(
          'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        )
      }),
    )
  })

  it('rejects a signature with any one character changed', () => {
    const arb = fc.tuple(
      payloadArb,
      secretArb,
      fc.nat(),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    )
    fc.assert(
      fc.property(arb, ([payload, secret, at, char]) => {
        const { body, headers, options } = signed(payload, secret, new FakeClock())
        const { header, before } = slot(headers)
        const value = headers[header] ?? ''
        const signature = value.slice(before.length)
        const i = at % signature.length
        fc.pre(signature[i] !== char)
        const forged = before + signature.slice(0, i) + char + signature.slice(i + 1)
        const verify = () => scheme.verify({ ...headers, [header]: forged }, body, options)
        expect(codeOf(verify)).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
      }),
    )
  })

  it('rejects a signature made with another secret', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, secretArb, (payload, signer, verifier) => {
        fc.pre(c.keyOf(signer) !== c.keyOf(verifier))
        const { body, headers, options } = signed(payload, signer, new FakeClock())
        const wrong = { ...options, secrets: [keyOf(verifier)] }
        expect(codeOf(() => scheme.verify(headers, body, wrong))).toBe(
          'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        )
      }),
    )
  })

  if (timestampSlot) {
    it('rejects a timestamp with any one character changed', () => {
      const arb = fc.tuple(
        payloadArb,
        secretArb,
        nowArb,
        fc.nat(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      )
      fc.assert(
        fc.property(arb, ([payload, secret, now, at, char]) => {
          const { body, headers, options } = signed(payload, secret, new FakeClock({ now }))
          const { header, before, after } = timestampSlot(headers)
          const value = headers[header] ?? ''
          const t = value.slice(before.length, value.length - after.length)
          const i = at % t.length
          fc.pre(t[i] !== char)
          const forgedT = t.slice(0, i) + char + t.slice(i + 1)
          const forged = before + forgedT + after
          // The clock reads the forged time, so only the signature can catch it.
          const forgedAt = readTime(forgedT)
          const clock = new FakeClock({
            now: forgedAt !== undefined && Number.isFinite(forgedAt) ? forgedAt : now,
          })
          const code = codeOf(() =>
            scheme.verify({ ...headers, [header]: forged }, body, { ...options, clock }),
          )
          expect([
            'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
            'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
          ]).toContain(code)
        }),
      )
    })
  }

  if (signedAtOf) {
    it('rejects a timestamp further from the clock than the tolerance, before or after', () => {
      const arb = fc.tuple(
        payloadArb,
        secretArb,
        nowArb,
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1, max: 10 * 365 * 86_400_000 }),
        fc.boolean(),
      )
      fc.assert(
        fc.property(arb, ([payload, secret, now, toleranceMs, beyond, future]) => {
          const { body, headers, options } = signed(payload, secret, new FakeClock({ now }))
          const signedAt = signedAtOf(now)
          const skew = toleranceMs + beyond
          const clock = new FakeClock({ now: future ? signedAt - skew : signedAt + skew })
          expect(
            codeOf(() => scheme.verify(headers, body, { ...options, clock, toleranceMs })),
          ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
          const within = new FakeClock({ now: signedAt + (future ? -toleranceMs : toleranceMs) })
          expect(
            scheme.verify(headers, body, { ...options, clock: within, toleranceMs }).timestamp,
          ).toBe(signedAt)
        }),
        { numRuns: deterministic ? 100 : 30 },
      )
    })
  }

  it('throws nothing but a SeamlineError, whatever the headers hold', () => {
    const sample = fc.sample(secretArb, { numRuns: 1, seed: 1 })[0] ?? ''
    const names = [
      ...Object.keys(signed('', sample, new FakeClock()).headers),
      'svix-id',
      'svix-timestamp',
      'svix-signature',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]
    const nameArb = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom(...names).map((n) => n.toUpperCase()),
      fc.string(),
    )
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => parts.join('')),
    )
    const valueArb = fc.oneof(textArb, fc.array(textArb, { maxLength: 3 }), fc.constant(undefined))
    const headersArb = fc.dictionary(nameArb, valueArb, { maxKeys: 6 })
    fc.assert(
      fc.property(headersArb, payloadArb, (headers, payload) => {
        const code = codeOf(() =>
          scheme.verify(headers, payload, {
            ...requestOf(payload),
            secrets: [keyOf(sample)],
            clock: new FakeClock(),
          }),
        )
        expect(rejections).toContain(code)
      }),
      { numRuns: 500 },
    )
  })
})

describe('oracle properties', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('stripe: the SDK accepts what we sign and we accept what it signs, for any JSON body', () => {
    const sdk = new Stripe('sk_test_x').webhooks
    fc.assert(
      // From 1 s on: the SDK reads a timestamp of 0 as "not given" and uses the real time.
      fc.property(
        fc.json(),
        textSecret,
        fc.integer({ min: 1_000, max: 4_102_444_800_000 }),
        (payload, secret, now) => {
          const clock = new FakeClock({ now })
          const header =
            webhookSchemes.stripe.sign({ payload, secret, clock })['Stripe-Signature'] ?? ''
          expect(() =>
            sdk.constructEvent(payload, header, secret, 300, undefined, now),
          ).not.toThrow()
          const theirs = sdk.generateTestHeaderString({
            payload,
            secret,
            timestamp: Math.floor(now / 1000),
          })
          expect(
            webhookSchemes.stripe.verify({ 'Stripe-Signature': theirs }, payload, {
              secrets: [secret],
              clock,
            }).scheme,
          ).toBe('stripe')
        },
      ),
    )
  })

  it('github: @octokit/webhooks-methods agrees both ways, for any string body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1 }),
        textSecret,
        async (payload, secret) => {
          const ours = webhookSchemes.github.sign({ payload, secret })['X-Hub-Signature-256'] ?? ''
          expect(await octokitVerify(secret, payload, ours)).toBe(true)
          const theirs = await octokitSign(secret, payload)
          expect(
            webhookSchemes.github.verify({ 'X-Hub-Signature-256': theirs }, payload, {
              secrets: [secret],
            }).scheme,
          ).toBe('github')
        },
      ),
    )
  })

  it('standard-webhooks: the reference library agrees both ways, for any string body', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        base64Secret,
        idArb,
        nowArb,
        (payload, secret, id, now) => {
          vi.setSystemTime(now)
          const clock = new FakeClock({ now })
          const scheme = webhookSchemes['standard-webhooks']
          const ours = scheme.sign({ payload, secret, clock, id })
          expect(() =>
            new Webhook(secret).verify(payload, ours, { jsonParse: false }),
          ).not.toThrow()
          const theirs = {
            ...ours,
            'webhook-signature': new Webhook(secret).sign(id, new Date(now), payload),
          }
          expect(scheme.verify(theirs, payload, { secrets: [secret], clock }).id).toBe(id)
        },
      ),
    )
  })

  it('svix: the official library agrees both ways, for any string body', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        base64Secret,
        idArb,
        nowArb,
        (payload, secret, id, now) => {
          vi.setSystemTime(now)
          const clock = new FakeClock({ now })
          const ours = webhookSchemes.svix.sign({ payload, secret, clock, id })
          expect(() => new SvixWebhook(secret).verify(payload, ours)).not.toThrow()
          const theirs = {
            ...ours,
            'svix-signature': new SvixWebhook(secret).sign(id, new Date(now), payload),
          }
          expect(webhookSchemes.svix.verify(theirs, payload, { secrets: [secret], clock }).id).toBe(
            id,
          )
        },
      ),
    )
  })

  it("slack: Bolt's verifySlackRequest accepts what we sign, for any string body", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), textSecret, nowArb, (body, secret, now) => {
        const headers = webhookSchemes.slack.sign({
          payload: body,
          secret,
          clock: new FakeClock({ now }),
        })
        expect(() =>
          verifySlackRequest({
            signingSecret: secret,
            body,
            headers: {
              'x-slack-signature': headers['X-Slack-Signature'] ?? '',
              'x-slack-request-timestamp': Number(headers['X-Slack-Request-Timestamp']),
            },
            nowMilliseconds: now,
          }),
        ).not.toThrow()
      }),
    )
  })

  it('twilio: the SDK agrees both ways, for any form parameters and any JSON body', () => {
    const { getExpectedTwilioSignature, validateRequest, validateRequestWithBody } = twilioSdk
    const nameArb = fc.string({ minLength: 1, maxLength: 8 })
    const paramsArb = fc.dictionary(nameArb, fc.string({ maxLength: 12 }), { maxKeys: 6 })
    fc.assert(
      fc.property(paramsArb, textSecret, fc.json(), (params, token, json) => {
        const url = 'https://example.com/twilio/voice?x=1'
        const form = new URLSearchParams(params).toString()
        const ours = webhookSchemes.twilio.sign({ payload: form, secret: token, url })
        const signature = ours['X-Twilio-Signature'] ?? ''
        expect(validateRequest(token, signature, url, params)).toBe(true)
        const theirs = { 'X-Twilio-Signature': getExpectedTwilioSignature(token, url, params) }
        expect(webhookSchemes.twilio.verify(theirs, form, { secrets: [token], url }).scheme).toBe(
          'twilio',
        )
        const hash = createHash('sha256').update(json).digest('hex')
        const jsonUrl = `https://example.com/twilio/events?bodySHA256=${hash}`
        const signedJson = webhookSchemes.twilio.sign({
          payload: json,
          secret: token,
          url: jsonUrl,
        })
        expect(
          validateRequestWithBody(token, signedJson['X-Twilio-Signature'] ?? '', jsonUrl, json),
        ).toBe(true)
      }),
    )
  })

  it("square: the SDK's WebhooksHelper accepts what we sign, for any string body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), textSecret, async (body, secret) => {
        const url = 'https://example.com/webhooks/square'
        const headers = webhookSchemes.square.sign({ payload: body, secret, url })
        expect(
          await WebhooksHelper.verifySignature({
            requestBody: body,
            signatureHeader: headers['x-square-hmacsha256-signature'] ?? '',
            signatureKey: secret,
            notificationUrl: url,
          }),
        ).toBe(true)
      }),
    )
  })

  it("discord: discord-interactions' verifyKey accepts what we sign, for any string body", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        nowArb,
        async (body, seed, now) => {
          const secret = Buffer.from(seed).toString('hex')
          const headers = webhookSchemes.discord.sign({
            payload: body,
            secret,
            clock: new FakeClock({ now }),
          })
          const whpk = publicKeyOf(`whsk_${Buffer.from(seed).toString('base64')}`)
          const publicKey = Buffer.from(whpk.replace(/^whpk_/, ''), 'base64').toString('hex')
          expect(
            await verifyKey(
              body,
              headers['X-Signature-Ed25519'] ?? '',
              headers['X-Signature-Timestamp'] ?? '',
              publicKey,
            ),
          ).toBe(true)
        },
      ),
      { numRuns: 50 },
    )
  })
  it('linear: the SDK verifies what we sign, for any body carrying webhookTimestamp', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    fc.assert(
      fc.property(fc.json(), textSecret, nowArb, (data, secret, now) => {
        vi.setSystemTime(now)
        const body = `{"type":"Issue","data":${data},"webhookTimestamp":${now}}`
        const ours = webhookSchemes.linear.sign({ payload: body, secret })['Linear-Signature'] ?? ''
        expect(new LinearWebhookClient(secret).verify(Buffer.from(body), ours)).toBe(true)
        expect(() =>
          new LinearWebhookClient(secret).verify(Buffer.from(`${body} `), ours),
        ).toThrow()
        // The SDK computes no signature; a second implementation stands in for it.
        const theirs = createHmac('sha256', secret).update(body).digest('hex')
        expect(
          webhookSchemes.linear.verify({ 'Linear-Signature': theirs }, body, {
            secrets: [secret],
            clock: new FakeClock({ now }),
          }).timestamp,
        ).toBe(now)
      }),
    )
  })

  it('hubspot: Signature.isValid accepts what we sign, and we accept what getSignature makes', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const methods = fc.constantFrom('POST', 'PUT', 'GET')
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        textSecret,
        nowArb,
        methods,
        (body, clientSecret, now, method) => {
          vi.setSystemTime(now)
          const url = 'https://example.com/webhooks/hubspot?portalId=62515&x=a%20b'
          const clock = new FakeClock({ now })
          const ours = webhookSchemes.hubspot.sign({
            payload: body,
            secret: clientSecret,
            url,
            method,
            clock,
          })
          const signature = ours['X-HubSpot-Signature-v3'] ?? ''
          const timestamp = Number(ours['X-HubSpot-Request-Timestamp'])
          const check = (requestBody: string) =>
            HubspotSignature.isValid({
              signatureVersion: 'v3',
              signature,
              clientSecret,
              requestBody,
              url,
              method,
              timestamp,
            })
          expect(check(body)).toBe(true)
          expect(check(`${body} `)).toBe(false)
          // getSignature's options type asks for a signature it does not read.
          const theirs = HubspotSignature.getSignature(method, 'v3', {
            signature: '',
            clientSecret,
            requestBody: body,
            url,
            timestamp,
          })
          expect(
            webhookSchemes.hubspot.verify({ ...ours, 'X-HubSpot-Signature-v3': theirs }, body, {
              secrets: [clientSecret],
              url,
              method,
              clock,
            }).timestamp,
          ).toBe(now)
        },
      ),
    )
  })

  it('sendgrid: EventWebhook#verifySignature accepts what we sign, for any string body', () => {
    const ew = new EventWebhook()
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.constantFrom(...sendgridPublic.keys()),
        nowArb,
        (body, secret, now) => {
          const headers = webhookSchemes.sendgrid.sign({
            payload: body,
            secret,
            clock: new FakeClock({ now }),
          })
          const key = ew.convertPublicKeyToECDSA(
            `-----BEGIN PUBLIC KEY-----\n${sendgridPublic.get(secret) ?? ''}\n-----END PUBLIC KEY-----`,
          )
          const signature = headers['X-Twilio-Email-Event-Webhook-Signature'] ?? ''
          const timestamp = headers['X-Twilio-Email-Event-Webhook-Timestamp'] ?? ''
          expect(ew.verifySignature(key, body, signature, timestamp)).toBe(true)
          expect(ew.verifySignature(key, `${body}x`, signature, timestamp)).toBe(false)
        },
      ),
      { numRuns: 30 },
    )
  })
})
