import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import {
  genericHmacScheme,
  paypalScheme,
  webhookScheme,
  webhookSchemes,
  type PaypalSignOptions,
  type RegisteredWebhookSchemeName,
  type SignOptions,
  type VerifyOptions,
  type WebhookHeaders,
  type WebhookScheme,
  type WebhookSchemeName,
} from './index.js'
import { selfSignedCertificate } from './verify/self-signed.test.js'

// The behaviour every scheme shares; what is particular to one scheme is in its own test file.

interface Case {
  title: string
  name: WebhookSchemeName
  /** A scheme built with options, rather than found by name. */
  scheme?: WebhookScheme
  /** An old and a new signing secret, for rotation. */
  secrets: [string, string]
  /** What `verify` is given for each: the secrets themselves unless they are private keys. */
  keys?: [string, string]
  /** Whether the scheme signs a timestamp. */
  timed: boolean
  /** Whether `verify` reports a message id read from the headers. */
  reportsId?: boolean
  /** The request URL, for the schemes that sign it. */
  url?: string
  /** How finely the signed time is kept: whole seconds unless `ms`. */
  timeUnit?: 's' | 'ms'
  /** The scheme's default tolerance. Default 300 000. */
  defaultToleranceMs?: number
  /** False when a signature is randomised (ECDSA): signing twice gives two signatures. */
  deterministic?: boolean
  /** False for GitLab's token, which does not cover the body. */
  signsBody?: boolean
  /** False when an empty body cannot carry what the scheme reads from it (Linear's time). */
  emptyBody?: boolean
  /** Options `sign` needs for a given secret, besides the payload (PayPal's webhook id). */
  signExtra?: (secret: string) => Partial<PaypalSignOptions>
  /** Run before the tests: PayPal's certificates are loaded into its cache. */
  setup?: () => Promise<void>
}

// Two Ed25519 key pairs: the secret keys sign, their public keys verify.
const ed25519Secrets: [string, string] = [
  'whsk_YezWYvdwn51X74KYdDXBLs7n8fnG5iDpweglxGBKD35wiGExc7E+RCdAKuJQoYPN8+jF59rg0GdLxV8ND9tLCQ==',
  'whsk_8EZDrWe1JxougjUZBIxKHiZWMYeo8eBsbZ7GQ0U+ceLyBu01bHELRdwlH+4wyEkvzgtaRt3X505PyR+s/uEISQ==',
]
const ed25519PublicKeys: [string, string] = [
  'whpk_cIhhMXOxPkQnQCriUKGDzfPoxefa4NBnS8VfDQ/bSwk=',
  'whpk_8gbtNWxxC0XcJR/uMMhJL84LWkbd1+dOT8kfrP7hCEk=',
]

// SendGrid's keys: P-256 private keys sign, base64 DER public keys verify.
const sendgridKeys = [0, 1].map(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }))
const sendgridSecrets = sendgridKeys.map((k) =>
  k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
) as [string, string]
const sendgridPublicKeys = sendgridKeys.map((k) =>
  k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
) as [string, string]

// PayPal: two self-signed certificates, served offline from two allowed certificate URLs.
const paypalCerts = [selfSignedCertificate(), selfSignedCertificate()]
const paypalCertUrls = [
  'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-old',
  'https://api.paypal.com/v1/notifications/certs/CERT-new',
]
const paypalWebhookIds: [string, string] = ['8PT597110X687430LKGECATA', '1JE4291016473214C']
const paypal = paypalScheme({
  fetchCertificate: async (url) => {
    const i = paypalCertUrls.indexOf(url.href)
    const cert = paypalCerts[i]
    if (!cert) throw new Error('no such certificate')
    return cert.certificatePem
  },
})
const paypalIndex = (secret: string) => paypalCerts.findIndex((c) => c.privateKeyPem === secret)

const cases: Case[] = [
  { title: 'stripe', name: 'stripe', secrets: ['whsec_old_9f2c', 'whsec_new_71ab'], timed: true },
  {
    title: 'github',
    name: 'github',
    secrets: ["It's a Secret to Everybody", 'rotated secret'],
    timed: false,
  },
  { title: 'shopify', name: 'shopify', secrets: ['shpss_old', 'shpss_new'], timed: false },
  {
    title: 'standard-webhooks',
    name: 'standard-webhooks',
    secrets: [
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24=',
    ],
    timed: true,
    reportsId: true,
  },
  {
    title: 'standard-webhooks (Ed25519 v1a)',
    name: 'standard-webhooks',
    secrets: ed25519Secrets,
    keys: ed25519PublicKeys,
    timed: true,
    reportsId: true,
  },
  {
    title: 'svix',
    name: 'svix',
    secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c3ZpeCByb3RhdGVkIHNlY3JldCBrZXk='],
    timed: true,
    reportsId: true,
  },
  {
    title: 'svix (Ed25519 v1a)',
    name: 'svix',
    secrets: ed25519Secrets,
    keys: ed25519PublicKeys,
    timed: true,
    reportsId: true,
  },
  {
    title: 'slack',
    name: 'slack',
    secrets: ['8f742231b10e8888abcd99yyyzzz85a5', 'rotated'],
    timed: true,
  },
  {
    title: 'twilio',
    name: 'twilio',
    secrets: ['12345abcdef0123456789abcdef01234', 'fedcba98765432100123456789abcdef'],
    timed: false,
    url: 'https://example.com/twilio/sms?channel=main',
  },
  {
    title: 'paddle',
    name: 'paddle',
    secrets: [
      'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI',
      'pdl_ntfset_rotated',
    ],
    timed: true,
  },
  {
    title: 'square',
    name: 'square',
    secrets: ['asdf1234', 'rotated signature key'],
    timed: false,
    url: 'https://example.com/webhooks/square',
  },
  {
    title: 'discord',
    name: 'discord',
    secrets: [
      '61ecd662f7709f9d57ef82987435c12ecee7f1f9c6e620e9c1e825c4604a0f7e',
      'f04643ad67b5271a2e823519048c4a1e26563187a8f1e06c6d9ec643453e71e2',
    ],
    keys: [
      '7088613173b13e4427402ae250a183cdf3e8c5e7dae0d0674bc55f0d0fdb4b09',
      'f206ed356c710b45dc251fee30c8492fce0b5a46ddd7e74e4fc91facfee10849',
    ],
    timed: true,
  },
  {
    title: 'linear',
    name: 'linear',
    secrets: ['lin_wh_old_2c9a', 'lin_wh_new_77f1'],
    timed: true,
    defaultToleranceMs: 60_000,
    emptyBody: false,
  },
  {
    title: 'hubspot',
    name: 'hubspot',
    secrets: ['yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
    timed: true,
    timeUnit: 'ms',
    url: 'https://example.com/webhooks/hubspot?portal=62515',
  },
  {
    title: 'sendgrid',
    name: 'sendgrid',
    secrets: sendgridSecrets,
    keys: sendgridPublicKeys,
    timed: true,
    deterministic: false,
  },
  {
    title: 'lemon-squeezy',
    name: 'lemon-squeezy',
    secrets: ['ls-old-secret', 'ls-new-secret'],
    timed: false,
  },
  { title: 'typeform', name: 'typeform', secrets: ['tf_old', 'tf_new'], timed: false },
  { title: 'calendly', name: 'calendly', secrets: ['cal_old_key', 'cal_new_key'], timed: true },
  {
    title: 'gitlab',
    name: 'gitlab',
    secrets: ['glpat-old-token', 'new shared token'],
    timed: false,
    signsBody: false,
  },
  {
    title: 'twitch',
    name: 'twitch',
    secrets: ['s3cRe7-old-subscription', 's3cRe7-new-subscription'],
    timed: true,
    timeUnit: 'ms',
    defaultToleranceMs: 600_000,
    reportsId: true,
  },
  { title: 'zoom', name: 'zoom', secrets: ['zm_old_token', 'zm_new_token'], timed: true },
  {
    title: 'xero',
    name: 'xero',
    secrets: ['old webhook key', 'new webhook key'],
    timed: false,
  },
  {
    title: 'intuit',
    name: 'intuit',
    secrets: ['old-verifier-token', 'new-verifier-token'],
    timed: false,
  },
  {
    title: 'paypal',
    name: 'paypal',
    scheme: paypal,
    secrets: [paypalCerts[0]?.privateKeyPem ?? '', paypalCerts[1]?.privateKeyPem ?? ''],
    keys: paypalWebhookIds,
    timed: true,
    reportsId: true,
    signExtra: (secret) => {
      const i = paypalIndex(secret)
      return i < 0 ? {} : { webhookId: paypalWebhookIds[i] ?? '', certUrl: paypalCertUrls[i] ?? '' }
    },
    setup: async () => {
      for (const url of paypalCertUrls) await paypal.loadCertificate(url)
    },
  },
  {
    title: 'generic-hmac (sha512, base64url, id and timestamp)',
    name: 'generic-hmac',
    scheme: genericHmacScheme({
      algorithm: 'sha512',
      encoding: 'base64url',
      header: 'X-Acme-Signature',
      prefix: 'v1=',
      signedContent: '{id}.{timestamp}.{body}',
      timestampHeader: 'X-Acme-Timestamp',
      idHeader: 'X-Acme-Id',
    }),
    secrets: ['acme old', 'acme new'],
    timed: true,
    reportsId: true,
  },
  {
    title: 'generic-hmac (sha1, hex, body only)',
    name: 'generic-hmac',
    scheme: genericHmacScheme({
      algorithm: 'sha1',
      encoding: 'hex',
      header: 'X-Hook-Signature',
      signedContent: '{body}',
    }),
    secrets: ['hook old', 'hook new'],
    timed: false,
  },
]

const start = Date.UTC(2026, 0, 1, 12)
// `webhookTimestamp` is Linear's signed time; the other schemes pay it no attention.
const payload = `{"id":"evt_1","object":"event","amount":1999,"note":"café ☕","webhookTimestamp":${start}}`
const id = 'msg_2vQk8kH3'

/** The code of the SeamlineError `fn` throws; fails the test if it throws anything else. */
function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

function errorOf(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error, but nothing was thrown')
}

describe.each(cases)('$title', (c) => {
  const { name, secrets, keys = secrets, timed, reportsId, url } = c
  const { timeUnit = 's', defaultToleranceMs = 300_000, deterministic = true } = c
  const { signsBody = true, emptyBody = true } = c
  const [oldSecret, newSecret] = secrets
  const [oldKey, newKey] = keys
  const scheme: WebhookScheme = c.scheme ?? webhookSchemes[name as RegisteredWebhookSchemeName]
  const clock = new FakeClock({ now: start })
  // The URL the request was sent to, for the schemes that sign it, goes with every call.
  const withUrl = url === undefined ? {} : { url }
  const sign = (options: SignOptions) =>
    scheme.sign({ ...withUrl, ...c.signExtra?.(options.secret), ...options })
  const signed = sign({ payload, secret: oldSecret, clock, id })
  beforeAll(async () => {
    await c.setup?.()
  })
  const options: VerifyOptions = { secrets: [oldKey], clock }
  const verify = (headers: WebhookHeaders, body: string | Uint8Array = payload, opts = options) =>
    scheme.verify(headers, body, { ...withUrl, ...opts })

  it('is found by name', () => {
    expect(scheme.name).toBe(name)
    if (!c.scheme) expect(webhookScheme(name)).toBe(scheme)
  })

  it('verifies what it signs, reporting the signed timestamp and id', () => {
    expect(verify(signed)).toEqual({
      scheme: name,
      secretIndex: 0,
      ...(timed ? { timestamp: start } : {}),
      ...(reportsId ? { id } : {}),
    })
  })

  it('treats a Uint8Array body and its UTF-8 string alike, both when signing and verifying', () => {
    const bytes = new TextEncoder().encode(payload)
    const fromBytes = sign({ payload: bytes, secret: oldSecret, clock, id })
    if (deterministic) expect(fromBytes).toEqual(signed)
    expect(verify(fromBytes)).toEqual(verify(signed))
    expect(verify(signed, bytes)).toEqual(verify(signed))
    // A view into a larger buffer is read at its own offset.
    const padded = new Uint8Array(bytes.length + 8)
    padded.set(bytes, 4)
    expect(verify(signed, padded.subarray(4, 4 + bytes.length))).toEqual(verify(signed))
  })

  it('reads header names case-insensitively, from plain objects, arrays and Headers', () => {
    const lower = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]))
    const upper = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toUpperCase(), v]))
    const arrays = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k, [v]]))
    for (const headers of [lower, upper, arrays, new Headers(signed)]) {
      expect(verify(headers).scheme).toBe(name)
    }
    expect(verify({ ...signed, 'content-type': 'application/json', other: undefined }).scheme).toBe(
      name,
    )
  })

  it('rejects a request without its signature headers', () => {
    expect(codeOf(() => verify({}))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
    expect(codeOf(() => verify(new Headers()))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
    for (const header of Object.keys(signed)) {
      const without = { ...signed, [header]: undefined }
      expect(
        codeOf(() => verify(without)),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
      expect(
        codeOf(() => verify({ ...signed, [header]: '' })),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
      expect(
        codeOf(() => verify({ ...signed, [header]: [] })),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
    }
  })

  it('rejects garbage in any signature header', () => {
    const garbage = [
      'garbage',
      '=',
      ',',
      ' ',
      'v1=',
      't=,v1=',
      'sha256=',
      'v1,',
      '\u0000',
      'é'.repeat(5000),
    ]
    for (const header of Object.keys(signed)) {
      for (const value of garbage) {
        expect(
          ['SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', 'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID'],
          `${header}: ${value.slice(0, 10)}`,
        ).toContain(codeOf(() => verify({ ...signed, [header]: value })))
      }
    }
  })

  it('rejects a signature made with another secret', () => {
    expect(codeOf(() => verify(signed, payload, { secrets: [newKey], clock }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it.runIf(!signsBody)('does not cover the body: any body passes with the token', () => {
    expect(verify(signed, `${payload} `).scheme).toBe(name)
    expect(verify(signed, '').scheme).toBe(name)
  })

  it.runIf(signsBody)('rejects a body changed by one byte, or re-serialised', () => {
    const bytes = new TextEncoder().encode(payload)
    for (const at of [0, 10, bytes.length - 1]) {
      const changed = Uint8Array.from(bytes)
      changed[at] = (changed[at] ?? 0) ^ 1
      expect(
        codeOf(() => verify(signed, changed)),
        `byte ${at}`,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    }
    expect(codeOf(() => verify(signed, `${payload}\n`))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    expect(codeOf(() => verify(signed, JSON.stringify(JSON.parse(payload), null, 2)))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
    expect(codeOf(() => verify(signed, ''))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })

  it('accepts the old and the new secret while both are listed, saying which matched', () => {
    const signedNew = sign({ payload, secret: newSecret, clock, id })
    const both = { secrets: [oldKey, newKey], clock }
    expect(verify(signed, payload, both).secretIndex).toBe(0)
    expect(verify(signedNew, payload, both).secretIndex).toBe(1)
    const reversed = { secrets: [newKey, oldKey], clock }
    expect(verify(signed, payload, reversed).secretIndex).toBe(1)
    expect(verify(signedNew, payload, reversed).secretIndex).toBe(0)
    // Once the old secret is dropped, what it signed no longer verifies.
    expect(codeOf(() => verify(signed, payload, { secrets: [newKey], clock }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it.runIf(emptyBody && signsBody)('verifies a signed empty body', () => {
    const empty = sign({ payload: '', secret: oldSecret, clock, id })
    expect(verify(empty, new Uint8Array(0)).scheme).toBe(name)
    expect(codeOf(() => verify(empty, ' '))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })

  if (timed) {
    describe('tolerance', () => {
      const at = (ms: number, toleranceMs?: number) =>
        verify(signed, payload, {
          secrets: [oldKey],
          clock: new FakeClock({ now: start + ms }),
          ...(toleranceMs === undefined ? {} : { toleranceMs }),
        })

      it(`defaults to ${defaultToleranceMs} ms either way, inclusive`, () => {
        const tol = defaultToleranceMs
        expect(at(tol).timestamp).toBe(start)
        expect(at(-tol).timestamp).toBe(start)
        expect(codeOf(() => at(tol + 1))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
        expect(codeOf(() => at(-tol - 1))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
        expect(codeOf(() => at(86_400_000))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
      })

      it('follows toleranceMs, down to 0', () => {
        expect(at(1_000, 1_000).scheme).toBe(name)
        expect(at(-1_000, 1_000).scheme).toBe(name)
        expect(codeOf(() => at(1_001, 1_000))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
        expect(codeOf(() => at(-1_001, 1_000))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
        expect(at(0, 0).scheme).toBe(name)
        expect(codeOf(() => at(1, 0))).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
      })

      it('reads time from the injected clock as it moves', async () => {
        const moving = new FakeClock({ now: start })
        const opts = { secrets: [oldKey], clock: moving }
        expect(verify(signed, payload, opts).scheme).toBe(name)
        await moving.advance(defaultToleranceMs)
        expect(verify(signed, payload, opts).scheme).toBe(name)
        await moving.advance(1)
        expect(codeOf(() => verify(signed, payload, opts))).toBe(
          'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
        )
      })

      it.runIf(timeUnit === 's')('signs whole seconds from the clock', () => {
        const late = new FakeClock({ now: start + 999 })
        const lateSigned = sign({ payload, secret: oldSecret, clock: late, id })
        if (deterministic) expect(lateSigned).toEqual(signed)
        expect(verify(lateSigned).timestamp).toBe(start)
        expect(at(999).timestamp).toBe(start)
      })

      it.runIf(timeUnit === 'ms')('signs the clock to the millisecond', () => {
        const late = new FakeClock({ now: start + 999 })
        const lateSigned = sign({ payload, secret: oldSecret, clock: late, id })
        expect(verify(lateSigned, payload, { secrets: [oldKey], clock: late }).timestamp).toBe(
          start + 999,
        )
      })

      it('says how far off the timestamp was', () => {
        expect(errorOf(() => at(-defaultToleranceMs - 1)).message).toBe(
          `verify ${name} webhook was signed ${defaultToleranceMs + 1} ms after the clock's time, outside the tolerance of ${defaultToleranceMs} ms`,
        )
      })
    })
  } else {
    it('signs no timestamp, so the clock plays no part', () => {
      const far = new FakeClock({ now: start + 10 * 365 * 86_400_000 })
      const farSigned = sign({ payload, secret: oldSecret, clock: far, id })
      if (deterministic) expect(farSigned).toEqual(signed)
      expect(verify(signed, payload, { secrets: [oldKey], clock: far, toleranceMs: 0 })).toEqual({
        scheme: name,
        secretIndex: 0,
      })
    })
  }

  describe('bad arguments', () => {
    const invalid = (fn: () => unknown) => expect(codeOf(fn)).toBe('SEAM_ERR_INVALID_ARGUMENT')

    it('refuses to verify without a usable list of secrets', () => {
      invalid(() => verify(signed, payload, { secrets: [], clock }))
      invalid(() => verify(signed, payload, { secrets: [''], clock }))
      invalid(() => verify(signed, payload, { secrets: [' \n'], clock }))
      invalid(() => verify(signed, payload, { secrets: [oldKey, ''], clock }))
      invalid(() => verify(signed, payload, { secrets: oldKey as never, clock }))
      invalid(() => verify(signed, payload, { secrets: [42 as never], clock }))
      invalid(() => scheme.verify(signed, payload, undefined as never))
      // Checked before the headers: a misconfigured receiver fails loudly on every request.
      invalid(() => verify({}, payload, { secrets: [], clock }))
    })

    it('refuses a tolerance that is not a finite, non-negative number of milliseconds', () => {
      for (const toleranceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '300' as never]) {
        invalid(() => verify(signed, payload, { secrets: [oldKey], clock, toleranceMs }))
      }
    })

    it('refuses a body that is not the raw bytes, and headers that are not headers', () => {
      invalid(() => verify(signed, JSON.parse(payload) as never))
      invalid(() => verify(signed, null as never))
      invalid(() => verify(null as never))
      invalid(() => verify('stripe-signature: t=1' as never))
    })

    it('refuses a clock without now()', () => {
      invalid(() => verify(signed, payload, { secrets: [oldKey], clock: {} as never }))
      invalid(() => sign({ payload, secret: oldSecret, clock: {} as never, id }))
    })

    it('refuses to sign without a secret or a raw payload', () => {
      invalid(() => sign({ payload, secret: '', clock, id }))
      invalid(() => sign({ payload, secret: '\t', clock, id }))
      invalid(() => sign({ payload, secret: undefined as never, clock, id }))
      invalid(() => sign({ payload: { id: 'evt_1' } as never, secret: oldSecret, clock, id }))
      invalid(() => scheme.sign(undefined as never))
    })
  })

  it('never shows a secret or a signature in an error message', () => {
    const signatures = Object.values(signed).flatMap((value) => value.split(/[ ,=]/))
    const secretParts = [oldSecret, newSecret, oldSecret.replace(/^wh(sec|sk)_/, '')]
    const errors = [
      errorOf(() => verify(signed, payload, { secrets: [newKey], clock })),
      ...(signsBody ? [errorOf(() => verify(signed, `${payload} `))] : []),
      ...Object.keys(signed).map((header) => errorOf(() => verify({ ...signed, [header]: 'x' }))),
      errorOf(() => verify(signed, payload, { secrets: [newKey, ''], clock })),
      errorOf(() => verify(signed, payload, { secrets: [`${oldKey}%`], clock })),
      errorOf(() => sign({ payload, secret: '', clock, id })),
    ]
    for (const error of errors) {
      expect(isSeamlineError(error)).toBe(true)
      for (const secret of secretParts) expect(error.message).not.toContain(secret)
      for (const part of signatures.filter((p) => p.length >= 16)) {
        expect(error.message).not.toContain(part)
      }
    }
  })

  it('names the operation and the scheme in its messages', () => {
    expect(errorOf(() => verify(signed, payload, { secrets: [newKey], clock })).message).toMatch(
      new RegExp(`^verify ${name} webhook has .*signature.* \\(tried 1 secret\\)$`),
    )
    expect(errorOf(() => verify(signed, payload, { secrets: [], clock })).message).toBe(
      `verify ${name} webhook secrets must list at least one secret`,
    )
    expect(
      errorOf(() => verify(signed, payload, { secrets: [oldKey, ''], clock })).message,
    ).toMatch(
      new RegExp(`^verify ${name} webhook secrets\\[1\\] must be .* \\(got an empty string\\)$`),
    )
  })
})

describe('webhookSchemes', () => {
  it('holds every scheme, frozen', () => {
    expect(Object.keys(webhookSchemes).sort()).toEqual([
      'calendly',
      'discord',
      'github',
      'gitlab',
      'hubspot',
      'intuit',
      'lemon-squeezy',
      'linear',
      'mailgun',
      'paddle',
      'paypal',
      'sendgrid',
      'shopify',
      'slack',
      'square',
      'standard-webhooks',
      'stripe',
      'svix',
      'twilio',
      'twitch',
      'typeform',
      'xero',
      'zoom',
    ])
    expect(Object.isFrozen(webhookSchemes)).toBe(true)
    for (const scheme of Object.values(webhookSchemes)) expect(Object.isFrozen(scheme)).toBe(true)
  })

  it('throws a typed error for an unknown name, inherited properties included', () => {
    for (const name of [
      'mandrill',
      'generic-hmac',
      'Stripe',
      'toString',
      '__proto__',
      '',
      42,
      undefined,
    ]) {
      expect(
        codeOf(() => webhookScheme(name as never)),
        String(name),
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
    expect(errorOf(() => webhookScheme('mandrill' as never)).message).toBe(
      'webhookScheme name must be one of stripe, github, shopify, standard-webhooks, svix, slack, twilio, paddle, square, discord, linear, hubspot, sendgrid, mailgun, lemon-squeezy, typeform, calendly, gitlab, twitch, zoom, xero, intuit, paypal (got "mandrill")',
    )
    expect(errorOf(() => webhookScheme('generic-hmac')).message).toBe(
      'webhookScheme name generic-hmac needs a configuration: build it with genericHmacScheme',
    )
  })
})
