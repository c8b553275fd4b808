import { Webhook } from 'svix'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const scheme = webhookSchemes.svix
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const otherSecret = 'whsec_c3ZpeCByb3RhdGVkIHNlY3JldCBrZXk='
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const payload = '{"type":"user.created","data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC"}}'
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

const verify = (headers: WebhookHeaders, secrets = [secret]) =>
  scheme.verify(headers, payload, { secrets, clock })

const signed = scheme.sign({ payload, secret, clock, id })

describe('svix', () => {
  it('signs under the svix-* header names', () => {
    expect(Object.keys(signed)).toEqual(['svix-id', 'svix-timestamp', 'svix-signature'])
    expect(signed['svix-id']).toBe(id)
    expect(signed['svix-timestamp']).toBe(String(start / 1000))
  })

  it('reads the webhook-* names when no svix-signature header is present', () => {
    const standard = webhookSchemes['standard-webhooks'].sign({ payload, secret, clock, id })
    expect(verify(standard)).toEqual({ scheme: 'svix', secretIndex: 0, timestamp: start, id })
  })

  describe('against the official svix library', () => {
    // Its verify reads Date.now() and takes no clock, so Date alone is faked, at our clock's time.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(start)
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    it('signs what Webhook#verify accepts, and nothing else', () => {
      expect(() => new Webhook(secret).verify(payload, signed)).not.toThrow()
      expect(() => new Webhook(otherSecret).verify(payload, signed)).toThrow()
      expect(() => new Webhook(secret).verify(`${payload} `, signed)).toThrow()
    })

    it('verifies what Webhook#sign makes, under either set of header names', () => {
      const theirs = new Webhook(secret).sign(id, new Date(start), payload)
      expect(theirs).toBe(signed['svix-signature'])
      const svixHeaders = { ...signed, 'svix-signature': theirs }
      expect(verify(svixHeaders).id).toBe(id)
      const standardHeaders = {
        'webhook-id': id,
        'webhook-timestamp': String(start / 1000),
        'webhook-signature': theirs,
      }
      expect(verify(standardHeaders).id).toBe(id)
      expect(codeOf(() => verify(svixHeaders, [otherSecret]))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    })

    it('accepts a rotation where the sender signs with both secrets, naming the one listed', () => {
      const both = `${new Webhook(otherSecret).sign(id, new Date(start), payload)} ${signed['svix-signature']}`
      const headers = { ...signed, 'svix-signature': both }
      expect(verify(headers, [secret]).secretIndex).toBe(0)
      expect(verify(headers, [otherSecret]).secretIndex).toBe(0)
      expect(verify(headers, ['whsec_dW51c2VkIHNlY3JldCBrZXkgaGVyZQ==', secret]).secretIndex).toBe(
        1,
      )
    })
  })
})
