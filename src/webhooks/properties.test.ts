import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { verifySlackRequest } from '@slack/bolt'
import { verifyKey } from 'discord-interactions'
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'
import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import { WebhooksHelper } from 'square'
import Stripe from 'stripe'
import { Webhook as SvixWebhook } from 'svix'
import twilioSdk from 'twilio'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import { webhookSchemes, type WebhookSchemeName } from './index.js'

interface Case {
  title: string
  name: WebhookSchemeName
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
]

const payloadArb = fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 512 }))
const idArb = fc.stringMatching(/^[\x21-\x2d\x2f-\x7e]{1,40}$/)
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
  const scheme = webhookSchemes[name]
  const keyOf = (secret: string) => c.verifyingKey?.(secret) ?? secret
  const requestOf = (payload: string | Uint8Array) => c.request?.(bytesOf(payload)) ?? {}
  /** Signs `payload` and returns the headers and the options that verify them. */
  const signed = (payload: string | Uint8Array, secret: string, clock: FakeClock, id = 'msg_1') => {
    const request = requestOf(payload)
    const headers = scheme.sign({ ...request, payload, secret, clock, id })
    return { headers, options: { ...request, secrets: [keyOf(secret)], clock } }
  }

  it('verifies what it signs, as a string or as bytes', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, idArb, nowArb, (payload, secret, id, now) => {
        const clock = new FakeClock({ now })
        const { headers, options } = signed(payload, secret, clock, id)
        const bytes = bytesOf(payload)
        expect(scheme.verify(headers, payload, options).scheme).toBe(name)
        expect(scheme.verify(headers, bytes, options).secretIndex).toBe(0)
        expect(scheme.sign({ ...requestOf(payload), payload: bytes, secret, clock, id })).toEqual(
          headers,
        )
      }),
    )
  })

  it('rejects a payload with any one byte changed', () => {
    const arb = fc
      .tuple(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
      )
      .map(([bytes, at, flip]) => ({ bytes, at: at % bytes.length, flip }))
    fc.assert(
      fc.property(arb, secretArb, ({ bytes, at, flip }, secret) => {
        const { headers, options } = signed(bytes, secret, new FakeClock())
        const changed = Uint8Array.from(bytes)
        changed[at] = (changed[at] ?? 0) ^ flip
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
        const { headers, options } = signed(payload, secret, new FakeClock())
        const { header, before } = slot(headers)
        const value = headers[header] ?? ''
        const signature = value.slice(before.length)
        const i = at % signature.length
        fc.pre(signature[i] !== char)
        const forged = before + signature.slice(0, i) + char + signature.slice(i + 1)
        const verify = () => scheme.verify({ ...headers, [header]: forged }, payload, options)
        expect(codeOf(verify)).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
      }),
    )
  })

  it('rejects a signature made with another secret', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, secretArb, (payload, signer, verifier) => {
        fc.pre(c.keyOf(signer) !== c.keyOf(verifier))
        const { headers, options } = signed(payload, signer, new FakeClock())
        const wrong = { ...options, secrets: [keyOf(verifier)] }
        expect(codeOf(() => scheme.verify(headers, payload, wrong))).toBe(
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
          const { headers, options } = signed(payload, secret, new FakeClock({ now }))
          const { header, before, after } = timestampSlot(headers)
          const value = headers[header] ?? ''
          const t = value.slice(before.length, value.length - after.length)
          const i = at % t.length
          fc.pre(t[i] !== char)
          const forgedT = t.slice(0, i) + char + t.slice(i + 1)
          const forged = before + forgedT + after
          // The clock reads the forged time, so only the signature can catch it.
          const clock = new FakeClock({
            now: /^\d{1,12}$/.test(forgedT) ? Number(forgedT) * 1000 : now,
          })
          const code = codeOf(() =>
            scheme.verify({ ...headers, [header]: forged }, payload, { ...options, clock }),
          )
          expect([
            'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
            'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
          ]).toContain(code)
        }),
      )
    })

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
          const { headers, options } = signed(payload, secret, new FakeClock({ now }))
          const signedAt = Math.floor(now / 1000) * 1000
          const skew = toleranceMs + beyond
          const clock = new FakeClock({ now: future ? signedAt - skew : signedAt + skew })
          expect(
            codeOf(() => scheme.verify(headers, payload, { ...options, clock, toleranceMs })),
          ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
          const within = new FakeClock({ now: signedAt + (future ? -toleranceMs : toleranceMs) })
          expect(
            scheme.verify(headers, payload, { ...options, clock: within, toleranceMs }).timestamp,
          ).toBe(signedAt)
        }),
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
})
