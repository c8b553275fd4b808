import { Paddle } from '@paddle/paddle-node-sdk'
import { createHmac } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const paddle = webhookSchemes.paddle
const secret = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI'
const otherSecret = 'pdl_ntfset_01hsdn8d7m9mfb2dgq2gtxeyhj_rotated'
const payload =
  '{"event_id":"evt_01hv8x2acma2gz4s0vfb3xsaat","event_type":"seamline.test","occurred_at":"2026-01-01T12:00:00.000Z","notification_id":"ntf_01hv8x2af2t9yv8ykc6c7s58dk","data":{"id":"txn_01","note":"café ☕"}}'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const ts = String(start / 1000)

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, secrets = [secret]) =>
  paddle.verify(headers, payload, { secrets, clock })

// Written apart from the product code, from Paddle's documented formula.
const h1 = (key: string, body = payload) =>
  createHmac('sha256', key).update(`${ts}:${body}`).digest('hex')

describe('paddle', () => {
  const signed = paddle.sign({ payload, secret, clock })

  it('signs ts=<t>;h1=<hex HMAC-SHA256 of "<t>:<body>">', () => {
    expect(signed).toEqual({ 'Paddle-Signature': `ts=${ts};h1=${h1(secret)}` })
    expect(verify(signed)).toEqual({ scheme: 'paddle', secretIndex: 0, timestamp: start })
  })

  describe('against the official SDK', () => {
    // The SDK reads Date.now() and allows 5 s; Date alone is faked, at our clock's time.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(start)
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    it('signs what Webhooks#unmarshal and #isSignatureValid accept, and nothing else', async () => {
      const { webhooks } = new Paddle('pdl_sdbx_apikey_01')
      const header = signed['Paddle-Signature'] ?? ''
      expect(await webhooks.isSignatureValid(payload, secret, header)).toBe(true)
      const event = await webhooks.unmarshal(payload, secret, header)
      expect(event.eventId).toBe('evt_01hv8x2acma2gz4s0vfb3xsaat')
      expect(await webhooks.isSignatureValid(payload, otherSecret, header)).toBe(false)
      expect(await webhooks.isSignatureValid(`${payload} `, secret, header)).toBe(false)
    })
  })

  it('accepts any one of several h1 signatures, as during a rotation', () => {
    const both = { 'Paddle-Signature': `ts=${ts};h1=${h1(otherSecret)};h1=${h1(secret)}` }
    expect(verify(both, [secret]).secretIndex).toBe(0)
    expect(verify(both, [otherSecret]).secretIndex).toBe(0)
    expect(verify(both, ['pdl_ntfset_unrelated', secret]).secretIndex).toBe(1)
    expect(codeOf(() => verify(both, ['pdl_ntfset_unrelated']))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('refuses a header without ts or h1, or with two timestamps', () => {
    for (const value of [
      `h1=${h1(secret)}`,
      `ts=${ts}`,
      `ts=${ts};ts=1;h1=${h1(secret)}`,
      `ts=x;h1=${h1(secret)}`,
    ]) {
      expect(
        codeOf(() => verify({ 'Paddle-Signature': value })),
        value,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })
})
