import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const scheme = webhookSchemes['standard-webhooks']
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const otherSecret = 'whsec_c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24='
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const payload = '{"type":"invoice.paid","data":{"note":"café ☕"}}'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, body: string | Uint8Array = payload) =>
  scheme.verify(headers, body, { secrets: [secret], clock })

const signed = scheme.sign({ payload, secret, clock, id })
const signatureOf = (secretUsed: string, msgId = id, at = start, body = payload) =>
  new Webhook(secretUsed).sign(msgId, new Date(at), body)

describe('standard-webhooks', () => {
  it('matches the published example (Svix and Standard Webhooks test vector)', () => {
    const vectorClock = new FakeClock({ now: 1614265330_000 })
    const body = '{"test": 2432232314}'
    const headers = scheme.sign({ payload: body, secret, clock: vectorClock, id })
    expect(headers).toEqual({
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
    expect(scheme.verify(headers, body, { secrets: [secret], clock: vectorClock })).toEqual({
      scheme: 'standard-webhooks',
      secretIndex: 0,
      timestamp: 1614265330_000,
      id,
    })
  })

  describe('against the reference library', () => {
    // Its verify reads Date.now() and takes no clock, so Date alone is faked, at our clock's time.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(start)
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    it('signs what Webhook#verify accepts', () => {
      expect(new Webhook(secret).verify(payload, signed)).toEqual(JSON.parse(payload))
      expect(() => new Webhook(otherSecret).verify(payload, signed)).toThrow()
      vi.setSystemTime(start + 301_000)
      expect(() => new Webhook(secret).verify(payload, signed)).toThrow()
    })

    it('signs exactly as Webhook#sign does', () => {
      expect(signed['webhook-signature']).toBe(signatureOf(secret))
    })

    it('verifies what Webhook#sign makes', () => {
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(start / 1000),
        'webhook-signature': signatureOf(secret),
      }
      expect(verify(headers)).toEqual({
        scheme: 'standard-webhooks',
        secretIndex: 0,
        timestamp: start,
        id,
      })
      const forged = { ...headers, 'webhook-signature': signatureOf(otherSecret) }
      expect(codeOf(() => verify(forged))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    })
  })

  it('accepts any one v1 entry among several, skipping other versions', () => {
    const good = signatureOf(secret)
    const other = signatureOf(otherSecret)
    const asymmetric = `v1a,${Buffer.alloc(64, 7).toString('base64')}`
    for (const list of [
      `${other} ${good}`,
      `${good} ${other}`,
      `${asymmetric} ${good}`,
      `  ${other}   ${good}  `,
      `v2,abc v1, ${good}`,
    ]) {
      expect(verify({ ...signed, 'webhook-signature': list }).id, list).toBe(id)
    }
    expect(verify({ ...signed, 'webhook-signature': [other, good] }).id).toBe(id)
  })

  it('needs a v1 entry: an Ed25519 v1a signature alone is not verified', () => {
    const asymmetric = `v1a,${Buffer.alloc(64, 7).toString('base64')}`
    for (const list of [asymmetric, 'v2,abc', 'v1', 'nonsense']) {
      expect(
        codeOf(() => verify({ ...signed, 'webhook-signature': list })),
        list,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('accepts the old and the new secret while a sender signs with both', () => {
    const both = `${signatureOf(otherSecret)} ${signatureOf(secret)}`
    for (const secrets of [[secret], [otherSecret], [otherSecret, secret]]) {
      const headers = { ...signed, 'webhook-signature': both }
      expect(scheme.verify(headers, payload, { secrets, clock }).id).toBe(id)
    }
  })

  it('rejects a signature made for another timestamp or another id', () => {
    const good = signed['webhook-signature']
    expect(codeOf(() => verify({ ...signed, 'webhook-timestamp': String(start / 1000 + 1) }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
    expect(codeOf(() => verify({ ...signed, 'webhook-id': 'msg_other' }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
    const later = scheme.sign({ payload, secret, clock: new FakeClock({ now: start + 1000 }), id })
    expect(later['webhook-signature']).not.toBe(good)
  })

  it('rejects an id containing a dot, which would make the signed content ambiguous', () => {
    // "msg.1700000000" + "." + "<t>" + "." + body re-reads as id "msg", timestamp 1700000000.
    const t = String(start / 1000)
    const body = `${t}.${payload}`
    const old = scheme.sign({ payload: body, secret, clock, id: 'msg' })
    const replayed = {
      'webhook-id': `msg.${t}`,
      'webhook-timestamp': t,
      'webhook-signature': old['webhook-signature'],
    }
    expect(codeOf(() => verify(replayed))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
  })

  it('rejects a timestamp that is not unix seconds', () => {
    for (const t of ['abc', '-1', '1.5', `0${start / 1000}`, String(start), '1e9', ' ']) {
      expect(
        codeOf(() => verify({ ...signed, 'webhook-timestamp': t })),
        t,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('rejects a repeated id or timestamp header', () => {
    const t = signed['webhook-timestamp'] ?? ''
    expect(codeOf(() => verify({ ...signed, 'webhook-id': [id, id] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
    expect(codeOf(() => verify({ ...signed, 'webhook-timestamp': [t, t] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
  })

  it('names every missing header', () => {
    expect(() => verify({ 'webhook-signature': signed['webhook-signature'] })).toThrow(
      'verify standard-webhooks webhook has no webhook-id header, no webhook-timestamp header',
    )
  })

  it("reads Svix's svix-* header names when no webhook-signature is present", () => {
    const svix = {
      'svix-id': signed['webhook-id'],
      'svix-timestamp': signed['webhook-timestamp'],
      'svix-signature': signed['webhook-signature'],
    }
    expect(verify(svix)).toEqual({
      scheme: 'standard-webhooks',
      secretIndex: 0,
      timestamp: start,
      id,
    })
    expect(verify(new Headers(svix as Record<string, string>)).id).toBe(id)
    // webhook-* wins when present, and a half-Svix set is not merged into it.
    expect(codeOf(() => verify({ ...svix, 'webhook-signature': signatureOf(otherSecret) }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
    )
    expect(codeOf(() => verify({ 'svix-id': id, 'svix-signature': svix['svix-signature'] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
    )
  })

  it('takes the secret with or without whsec_, as the base64 of the key', () => {
    const bare = secret.slice('whsec_'.length)
    expect(scheme.sign({ payload, secret: bare, clock, id })).toEqual(signed)
    expect(scheme.verify(signed, payload, { secrets: [bare], clock }).id).toBe(id)
  })

  it('refuses a secret that is not base64, and an id it cannot send', () => {
    for (const bad of ['whsec_', 'whsec_not base64!', 'whsec_abc', 'whsec_YWJj=', 'hunter2']) {
      expect(
        codeOf(() => scheme.sign({ payload, secret: bad, clock, id })),
        bad,
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
      expect(
        codeOf(() => scheme.verify(signed, payload, { secrets: [bad], clock })),
        bad,
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
    for (const badId of [undefined, '', 'msg.1', 'msg 1', 'msg\r\nx-injected: 1', 'msg_é']) {
      expect(
        codeOf(() =>
          scheme.sign({ payload, secret, clock, ...(badId === undefined ? {} : { id: badId }) }),
        ),
        String(badId),
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
    expect(() => scheme.sign({ payload, secret, clock })).toThrow(
      'sign standard-webhooks webhook id is required: it becomes the webhook-id header',
    )
  })

  it('signs and verifies the body bytes exactly, even when they are not UTF-8', () => {
    const bytes = Uint8Array.from([0x7b, 0xff, 0xfe, 0x00, 0x7d])
    const headers = scheme.sign({ payload: bytes, secret, clock, id })
    expect(verify(headers, bytes).id).toBe(id)
    // The reference library decodes bytes to text first; decoding loses them, so we do not.
    expect(codeOf(() => verify(headers, Buffer.from(bytes).toString('utf8')))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })
})
