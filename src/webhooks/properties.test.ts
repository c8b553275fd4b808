import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import Stripe from 'stripe'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import { webhookSchemes, type WebhookSchemeName } from './index.js'

interface Case {
  name: WebhookSchemeName
  secret: fc.Arbitrary<string>
  /** Where the signature sits in the signed headers: header name and the text before it. */
  slot: (headers: Record<string, string>) => { header: string; before: string }
  /** Fragments that garbage header values are built from, so some get deep into the parser. */
  fragments: string[]
}

const textSecret = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((s) => !/^\s*$/.test(s))
const base64Secret = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean())
  .map(([key, prefixed]) => (prefixed ? 'whsec_' : '') + Buffer.from(key).toString('base64'))

const cases: Case[] = [
  {
    name: 'stripe',
    secret: textSecret,
    slot: (headers) => ({
      header: 'Stripe-Signature',
      before: headers['Stripe-Signature']?.split('v1=')[0] + 'v1=',
    }),
    fragments: ['t=', 'v1=', 'v0=', ',', ' ', '=', '1767268800', '0', 'ab12', 'é'],
  },
  {
    name: 'github',
    secret: textSecret,
    slot: () => ({ header: 'X-Hub-Signature-256', before: 'sha256=' }),
    fragments: ['sha256=', 'sha1=', '=', 'ab12', '0', ' ', 'é'],
  },
  {
    name: 'shopify',
    secret: textSecret,
    slot: () => ({ header: 'X-Shopify-Hmac-Sha256', before: '' }),
    fragments: ['AB', '+/', '=', '==', ' ', 'é'],
  },
  {
    name: 'standard-webhooks',
    secret: base64Secret,
    slot: () => ({ header: 'webhook-signature', before: 'v1,' }),
    fragments: ['v1,', 'v1a,', ',', ' ', '.', 'msg_1', '1767268800', 'AB+/', '=', 'é'],
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

describe.each(cases)('$name properties', ({ name, secret: secretArb, slot, fragments }) => {
  const scheme = webhookSchemes[name]

  it('verifies what it signs, as a string or as bytes', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, idArb, nowArb, (payload, secret, id, now) => {
        const clock = new FakeClock({ now })
        const headers = scheme.sign({ payload, secret, clock, id })
        const bytes = bytesOf(payload)
        const options = { secrets: [secret], clock }
        expect(scheme.verify(headers, payload, options).scheme).toBe(name)
        expect(scheme.verify(headers, bytes, options).scheme).toBe(name)
        expect(scheme.sign({ payload: bytes, secret, clock, id })).toEqual(headers)
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
        const clock = new FakeClock()
        const headers = scheme.sign({ payload: bytes, secret, clock, id: 'msg_1' })
        const changed = Uint8Array.from(bytes)
        changed[at] = (changed[at] ?? 0) ^ flip
        expect(codeOf(() => scheme.verify(headers, changed, { secrets: [secret], clock }))).toBe(
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
        const clock = new FakeClock()
        const headers = scheme.sign({ payload, secret, clock, id: 'msg_1' })
        const { header, before } = slot(headers)
        const value = headers[header] ?? ''
        const signature = value.slice(before.length)
        const i = at % signature.length
        fc.pre(signature[i] !== char)
        const forged = before + signature.slice(0, i) + char + signature.slice(i + 1)
        const verify = () =>
          scheme.verify({ ...headers, [header]: forged }, payload, { secrets: [secret], clock })
        expect(codeOf(verify)).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
      }),
    )
  })

  // HMAC pads short keys with zero bytes, so keys that differ only in trailing zeros are one key.
  const hmacKey = (secret: string): string => {
    const bytes =
      name === 'standard-webhooks'
        ? Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
        : Buffer.from(secret, 'utf8')
    return bytes.toString('hex').replace(/(00)+$/, '')
  }

  it('rejects a signature made with another secret', () => {
    fc.assert(
      fc.property(payloadArb, secretArb, secretArb, (payload, signer, verifier) => {
        fc.pre(hmacKey(signer) !== hmacKey(verifier))
        const clock = new FakeClock()
        const headers = scheme.sign({ payload, secret: signer, clock, id: 'msg_1' })
        expect(codeOf(() => scheme.verify(headers, payload, { secrets: [verifier], clock }))).toBe(
          'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        )
      }),
    )
  })

  it('throws nothing but a SeamlineError, whatever the headers hold', () => {
    const names = [
      ...Object.keys(
        scheme.sign({ payload: '', secret: 'c2VjcmV0', clock: new FakeClock(), id: 'msg_1' }),
      ),
      'svix-id',
      'svix-timestamp',
      'svix-signature',
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
            secrets: ['c2VjcmV0'],
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
})
