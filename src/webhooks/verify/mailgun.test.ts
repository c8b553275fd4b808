import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes } from '../index.js'

const mailgun = webhookSchemes.mailgun
const key = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const token = 'e0b5477167110d68991efc6b9f89f0a11066af27834600e123'
const event = '{"event-data":{"id":"CPgfbmQMTCKtHW6uIWtuVe","event":"delivered","note":"café ☕"}}'

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

// Written apart from the product code, from Mailgun's "Securing Webhooks" page.
const expected = (timestamp: string, t: string, secret = key) =>
  createHmac('sha256', secret)
    .update(timestamp + t)
    .digest('hex')

const verify = (body: string | Uint8Array, secrets = [key], at = clock) =>
  mailgun.verify({}, body, { secrets, clock: at })

describe('mailgun', () => {
  const seconds = String(start / 1000)
  const json = JSON.stringify({
    signature: { timestamp: seconds, token, signature: expected(seconds, token) },
    'event-data': { id: 'CPgfbmQMTCKtHW6uIWtuVe', event: 'delivered' },
  })

  it('verifies a JSON body whose signature object is the HMAC of timestamp and token', () => {
    expect(verify(json)).toEqual({
      scheme: 'mailgun',
      secretIndex: 0,
      timestamp: start,
      id: token,
    })
    // Mailgun documents the timestamp as an int; a number verifies like its text.
    const numeric = json.replace(`"timestamp":"${seconds}"`, `"timestamp":${seconds}`)
    expect(verify(numeric).timestamp).toBe(start)
  })

  it('verifies the form-encoded fields of the older webhooks', () => {
    const form = new URLSearchParams({
      recipient: 'alice@example.com',
      event: 'delivered',
      timestamp: seconds,
      token,
      signature: expected(seconds, token),
    }).toString()
    expect(verify(form)).toEqual({ scheme: 'mailgun', secretIndex: 0, timestamp: start, id: token })
  })

  it('accepts a parent-signature made with the primary account key', () => {
    const parentKey = 'primary account key'
    const body = JSON.stringify({
      signature: {
        timestamp: seconds,
        token,
        signature: expected(seconds, token, 'subaccount key'),
        'parent-signature': expected(seconds, token, parentKey),
      },
    })
    expect(verify(body, [parentKey]).secretIndex).toBe(0)
    expect(verify(body, ['subaccount key', parentKey]).secretIndex).toBe(0)
  })

  it('signBody adds a signature that verifies, to JSON and to form fields alike', () => {
    const signedJson = mailgun.signBody({ payload: event, secret: key, clock, id: token })
    expect(JSON.parse(signedJson)).toEqual({
      ...JSON.parse(event),
      signature: { timestamp: seconds, token, signature: expected(seconds, token) },
    })
    expect(verify(signedJson).id).toBe(token)
    const signedForm = mailgun.signBody({ payload: 'event=opened', secret: key, clock })
    expect(verify(signedForm).timestamp).toBe(start)
    expect(verify(mailgun.signBody({ payload: '', secret: key, clock })).scheme).toBe('mailgun')
    // A random token each time when none is given.
    expect(mailgun.signBody({ payload: event, secret: key, clock })).not.toBe(
      mailgun.signBody({ payload: event, secret: key, clock }),
    )
  })

  it('has no headers to sign into, and says so', () => {
    expect(() => mailgun.sign({ payload: event, secret: key, clock })).toThrow(/signBody/)
    expect(codeOf(() => mailgun.signBody({ payload: '[1]', secret: key, clock }))).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
    expect(codeOf(() => mailgun.signBody({ payload: 'token=x', secret: key, clock }))).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
  })

  it('does not protect the event data: only timestamp and token are signed', () => {
    const altered = json.replace('delivered', 'failed')
    expect(verify(altered).id).toBe(token)
  })

  it('rejects any one character changed in the timestamp, token or signature', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('timestamp', 'token', 'signature'),
        fc.nat(),
        fc.constantFrom(...'0123456789abcdefXZ '.split('')),
        (field, at, char) => {
          const signed = JSON.parse(json) as { signature: Record<string, string> }
          const value = signed.signature[field] ?? ''
          const i = at % value.length
          fc.pre(value[i] !== char)
          signed.signature[field] = value.slice(0, i) + char + value.slice(i + 1)
          const forged = signed.signature.timestamp ?? ''
          // The clock reads a forged timestamp, so only the signature can catch it.
          const now = /^\d{1,12}$/.test(forged) ? Number(forged) * 1000 : start
          const code = codeOf(() => verify(JSON.stringify(signed), [key], new FakeClock({ now })))
          expect([
            'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
            'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
          ]).toContain(code)
        },
      ),
    )
  })

  it('rejects stale and future timestamps, and a signature made with another key', () => {
    expect(codeOf(() => verify(json, [key], new FakeClock({ now: start + 300_001 })))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
    expect(codeOf(() => verify(json, [key], new FakeClock({ now: start - 300_001 })))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
    expect(codeOf(() => verify(json, ['another key']))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    expect(verify(json, ['another key', key]).secretIndex).toBe(1)
  })

  it('tells a missing signature from a malformed one', () => {
    const missing = ['', '{}', '{"event-data":{}}', 'event=opened', '{"signature":{"token":"x"}}']
    for (const body of missing) {
      expect(
        codeOf(() => verify(body)),
        body,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MISSING')
    }
    const malformed = [
      '{"signature":',
      '{"signature":"abc"}',
      '{"signature":{"signature":1,"token":"x","timestamp":"1"}}',
      '{"signature":{"signature":"ab","timestamp":"1"}}',
      '{"signature":{"signature":"ab","token":"x"}}',
      `{"signature":{"signature":"ab","token":"x","timestamp":"01"}}`,
      'signature=ab&signature=cd&token=x&timestamp=1',
      'signature=ab&timestamp=1',
      new Uint8Array([0xff, 0xfe]),
    ]
    for (const body of malformed) {
      expect(
        codeOf(() => verify(body)),
        String(body),
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('throws nothing but a rejection, whatever the body holds', () => {
    const bodies = fc.oneof(
      fc.json(),
      fc.string({ unit: 'binary' }),
      fc.uint8Array(),
      fc
        .dictionary(fc.constantFrom('timestamp', 'token', 'signature', 'x'), fc.string())
        .map((fields) => new URLSearchParams(fields).toString()),
    )
    fc.assert(
      fc.property(bodies, (body) => {
        expect([
          'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
          'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
          'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        ]).toContain(codeOf(() => verify(body)))
      }),
    )
  })
})
