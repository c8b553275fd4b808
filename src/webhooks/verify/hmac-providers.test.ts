import { LinearWebhookClient } from '@linear/sdk/webhooks'
import { Signature as HubspotSignature } from '@hubspot/api-client'
import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes } from '../index.js'

// The HMAC providers, each checked against its documented formula computed apart from the
// product code (none of these providers ships a verifier or signer to use as an oracle).

const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const payload = '{"id":"evt_1","note":"café ☕"}'
const secret = 'a provider secret'
const mac = (algorithm: string, text: string, encoding: 'hex' | 'base64', key = secret) =>
  createHmac(algorithm, key).update(text).digest(encoding)

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

afterEach(() => {
  vi.useRealTimers()
})

describe('body-only HMAC providers', () => {
  it.each([
    ['lemon-squeezy', 'X-Signature', mac('sha256', payload, 'hex')],
    ['typeform', 'Typeform-Signature', `sha256=${mac('sha256', payload, 'base64')}`],
    ['xero', 'x-xero-signature', mac('sha256', payload, 'base64')],
    ['intuit', 'intuit-signature', mac('sha256', payload, 'base64')],
  ] as const)('%s signs %s as documented', (name, header, expected) => {
    const scheme = webhookSchemes[name]
    expect(scheme.sign({ payload, secret })).toEqual({ [header]: expected })
    expect(scheme.verify({ [header]: expected }, payload, { secrets: [secret] })).toEqual({
      scheme: name,
      secretIndex: 0,
    })
  })

  it('typeform refuses a signature without its sha256= prefix', () => {
    const bare = mac('sha256', payload, 'base64')
    expect(
      codeOf(() =>
        webhookSchemes.typeform.verify({ 'Typeform-Signature': bare }, payload, {
          secrets: [secret],
        }),
      ),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
  })
})

describe('timed HMAC providers', () => {
  const t = String(start / 1000)

  it('calendly signs t=<t>,v1=<hex HMAC of "<t>.<body>">', () => {
    const expected = `t=${t},v1=${mac('sha256', `${t}.${payload}`, 'hex')}`
    expect(webhookSchemes.calendly.sign({ payload, secret, clock })).toEqual({
      'Calendly-Webhook-Signature': expected,
    })
  })

  it('zoom signs v0=<hex HMAC of "v0:<t>:<body>">', () => {
    expect(webhookSchemes.zoom.sign({ payload, secret, clock })).toEqual({
      'x-zm-signature': `v0=${mac('sha256', `v0:${t}:${payload}`, 'hex')}`,
      'x-zm-request-timestamp': t,
    })
  })

  it('twitch signs id + timestamp + body, and reads RFC 3339 to the nanosecond', () => {
    const id = 'e76c6bd4-55c9-4987-8304-da1588d8988b'
    const headers = webhookSchemes.twitch.sign({ payload, secret, clock, id })
    const ts = '2026-01-01T12:00:00.000Z'
    expect(headers).toEqual({
      'Twitch-Eventsub-Message-Signature': `sha256=${mac('sha256', id + ts + payload, 'hex')}`,
      'Twitch-Eventsub-Message-Timestamp': ts,
      'Twitch-Eventsub-Message-Id': id,
    })
    // Twitch sends nine fractional digits; they are signed as sent.
    const nanos = '2026-01-01T12:00:00.123456789Z'
    const theirs = {
      'Twitch-Eventsub-Message-Id': id,
      'Twitch-Eventsub-Message-Timestamp': nanos,
      'Twitch-Eventsub-Message-Signature': `sha256=${mac('sha256', id + nanos + payload, 'hex')}`,
    }
    expect(webhookSchemes.twitch.verify(theirs, payload, { secrets: [secret], clock })).toEqual({
      scheme: 'twitch',
      secretIndex: 0,
      timestamp: start + 123,
      id,
    })
    for (const bad of ['2026-02-30T12:00:00Z', '2026-01-01 12:00:00Z', '2026-01-01T12:00:00']) {
      expect(
        codeOf(() =>
          webhookSchemes.twitch.verify(
            { ...theirs, 'Twitch-Eventsub-Message-Timestamp': bad },
            payload,
            { secrets: [secret], clock },
          ),
        ),
        bad,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
    // Ten minutes, as Twitch documents.
    const late = new FakeClock({ now: start + 600_001 })
    expect(
      codeOf(() =>
        webhookSchemes.twitch.verify(headers, payload, { secrets: [secret], clock: late }),
      ),
    ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
  })
})

describe('hubspot', () => {
  const url = 'https://www.example.com/webhook_uri?portal=1'

  it('signs method + URL + body + timestamp; the method defaults to POST', () => {
    const headers = webhookSchemes.hubspot.sign({ payload, secret, clock, url })
    expect(headers).toEqual({
      'X-HubSpot-Signature-v3': mac('sha256', `POST${url}${payload}${start}`, 'base64'),
      'X-HubSpot-Request-Timestamp': String(start),
    })
    expect(
      codeOf(() =>
        webhookSchemes.hubspot.verify(headers, payload, {
          secrets: [secret],
          clock,
          url,
          method: 'PUT',
        }),
      ),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    expect(
      webhookSchemes.hubspot.verify(headers, payload, {
        secrets: [secret],
        clock,
        url,
        method: 'post',
      }).timestamp,
    ).toBe(start)
    expect(
      codeOf(() =>
        webhookSchemes.hubspot.verify(headers, payload, {
          secrets: [secret],
          clock,
          url,
          method: 'PO ST',
        }),
      ),
    ).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })

  it("verifies a GET signed by the SDK's getSignature", () => {
    const timestamp = start
    const signature = HubspotSignature.getSignature('GET', 'v3', {
      signature: '',
      clientSecret: secret,
      requestBody: '',
      url,
      timestamp,
    })
    const headers = {
      'X-HubSpot-Signature-v3': signature,
      'X-HubSpot-Request-Timestamp': String(timestamp),
    }
    expect(
      webhookSchemes.hubspot.verify(headers, '', { secrets: [secret], clock, url, method: 'GET' })
        .secretIndex,
    ).toBe(0)
  })
})

describe('linear', () => {
  const body = (at: number) => `{"action":"create","type":"Issue","webhookTimestamp":${at}}`

  it('reads the signed webhookTimestamp in the body; a header cannot move it', () => {
    const raw = body(start)
    const headers = {
      ...webhookSchemes.linear.sign({ payload: raw, secret }),
      'Linear-Timestamp': '0',
    }
    expect(webhookSchemes.linear.verify(headers, raw, { secrets: [secret], clock }).timestamp).toBe(
      start,
    )
    const late = new FakeClock({ now: start + 60_001 })
    expect(
      codeOf(() => webhookSchemes.linear.verify(headers, raw, { secrets: [secret], clock: late })),
    ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
  })

  it('refuses a signed body without a usable webhookTimestamp', () => {
    for (const raw of [
      '{"type":"Issue"}',
      '[1]',
      'not json',
      '{"webhookTimestamp":"1"}',
      '{"webhookTimestamp":1.5}',
    ]) {
      const headers = webhookSchemes.linear.sign({ payload: raw, secret })
      expect(
        codeOf(() => webhookSchemes.linear.verify(headers, raw, { secrets: [secret], clock })),
        raw,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('agrees with LinearWebhookClient on a stale body, which both refuse', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start)
    const raw = body(start - 120_000)
    const signature = webhookSchemes.linear.sign({ payload: raw, secret })['Linear-Signature'] ?? ''
    expect(() => new LinearWebhookClient(secret).verify(Buffer.from(raw), signature)).toThrow()
    expect(
      codeOf(() =>
        webhookSchemes.linear.verify({ 'Linear-Signature': signature }, raw, {
          secrets: [secret],
          clock,
        }),
      ),
    ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
  })
})
