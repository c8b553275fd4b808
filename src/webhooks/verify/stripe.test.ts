import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const { stripe } = webhookSchemes
const sdk = new Stripe('sk_test_x').webhooks
const secret = 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc'
const payload =
  '{\n  "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",\n  "object": "event",\n  "note": "café ☕"\n}'
const start = Date.UTC(2026, 0, 1, 12)
const t = start / 1000
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
  stripe.verify(headers, body, { secrets: [secret], clock })

/** What the SDK makes for `t`, signed with `key` (or carrying a given signature). */
const sdkHeader = (timestamp: number, key = secret, body = payload): string =>
  sdk.generateTestHeaderString({ payload: body, secret: key, timestamp })

const v1Of = (header: string): string => /v1=([0-9a-f]+)/.exec(header)?.[1] ?? ''

describe('stripe', () => {
  describe('against the official SDK', () => {
    it('signs what Stripe.webhooks.constructEvent accepts', () => {
      const headers = stripe.sign({ payload, secret, clock })
      const header = headers['Stripe-Signature'] ?? ''
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
      // receivedAt pins the SDK's clock to ours, so no real time is involved.
      const event = sdk.constructEvent(payload, header, secret, 300, undefined, start)
      expect(event.id).toBe('evt_1NG8Du2eZvKYlo2CUI79vXWy')
      expect(() =>
        sdk.constructEvent(payload, header, 'whsec_other', 300, undefined, start),
      ).toThrow()
      expect(() =>
        sdk.constructEvent(payload, header, secret, 300, undefined, start + 301_000),
      ).toThrow()
    })

    it('is the header generateTestHeaderString makes', () => {
      expect(stripe.sign({ payload, secret, clock })).toEqual({ 'Stripe-Signature': sdkHeader(t) })
    })

    it('verifies what generateTestHeaderString makes', () => {
      expect(verify({ 'stripe-signature': sdkHeader(t) })).toEqual({
        scheme: 'stripe',
        secretIndex: 0,
        timestamp: start,
      })
      expect(codeOf(() => verify({ 'stripe-signature': sdkHeader(t, 'whsec_other') }))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    })
  })

  it('accepts any one matching v1 among several, and ignores other schemes such as v0', () => {
    const good = v1Of(sdkHeader(t))
    const other = v1Of(sdkHeader(t, 'whsec_other'))
    for (const header of [
      `t=${t},v1=${other},v1=${good}`,
      `t=${t},v1=${good},v1=${other}`,
      `v0=${other},v1=${good},t=${t}`,
      `t=${t}, v1=${other}, v1=${good}`,
      `t=${t},v1=${good},scheme=future,v1=short`,
    ]) {
      expect(verify({ 'Stripe-Signature': header }).timestamp, header).toBe(start)
    }
    // A v0 (or any non-v1) signature is never enough on its own.
    expect(codeOf(() => verify({ 'Stripe-Signature': `t=${t},v0=${good}` }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
  })

  it('accepts a rotation header signed with both secrets', () => {
    const header = `t=${t},v1=${v1Of(sdkHeader(t, 'whsec_new'))},v1=${v1Of(sdkHeader(t))}`
    for (const secrets of [[secret], ['whsec_new'], [secret, 'whsec_new']]) {
      expect(
        stripe.verify({ 'Stripe-Signature': header }, payload, { secrets, clock }).scheme,
      ).toBe('stripe')
    }
  })

  it('combines repeated Stripe-Signature headers into one list', () => {
    const good = v1Of(sdkHeader(t))
    expect(verify({ 'Stripe-Signature': [`t=${t}`, `v1=${good}`] }).timestamp).toBe(start)
    expect(
      verify({ 'stripe-signature': `t=${t}`, 'Stripe-Signature': `v1=${good}` }).timestamp,
    ).toBe(start)
    const headers = new Headers()
    headers.append('Stripe-Signature', `t=${t},v1=${v1Of(sdkHeader(t, 'whsec_other'))}`)
    headers.append('Stripe-Signature', `v1=${good}`)
    expect(verify(headers).timestamp).toBe(start)
  })

  it('rejects a signature made for another timestamp', () => {
    const good = v1Of(sdkHeader(t))
    for (const other of [t - 1, t + 1, t + 300]) {
      expect(codeOf(() => verify({ 'Stripe-Signature': `t=${other},v1=${good}` }))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })

  it('rejects a header that does not parse', () => {
    const good = v1Of(sdkHeader(t))
    for (const header of [
      `v1=${good}`,
      `t=${t}`,
      `t=${t},v1`,
      `t=,v1=${good}`,
      `t=abc,v1=${good}`,
      `t=0${t},v1=${good}`,
      `t=-${t},v1=${good}`,
      `t=${t}.5,v1=${good}`,
      `t=${start},v1=${good}`, // milliseconds, not seconds
      `t=${t},t=${t + 1},v1=${good}`,
      `t=${t}\u0000,v1=${good}`,
    ]) {
      expect(
        codeOf(() => verify({ 'Stripe-Signature': header })),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('rejects a signature in another case or encoding', () => {
    const good = v1Of(sdkHeader(t))
    for (const v1 of [
      good.toUpperCase(),
      Buffer.from(good, 'hex').toString('base64'),
      good.slice(1),
      `${good}0`,
    ]) {
      expect(codeOf(() => verify({ 'Stripe-Signature': `t=${t},v1=${v1}` }))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })

  it('rejects a stale or a future timestamp, unlike the SDK, which checks only the past', () => {
    const future = sdkHeader(t + 301)
    expect(() => sdk.constructEvent(payload, future, secret, 300, undefined, start)).not.toThrow()
    expect(codeOf(() => verify({ 'Stripe-Signature': future }))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
    expect(codeOf(() => verify({ 'Stripe-Signature': sdkHeader(t - 301) }))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
    expect(verify({ 'Stripe-Signature': sdkHeader(t + 300) }).timestamp).toBe(start + 300_000)
  })

  it('checks the signature before the timestamp, so a forgery is never reported as merely stale', () => {
    const forged = `t=${t - 3600},v1=${'0'.repeat(64)}`
    expect(codeOf(() => verify({ 'Stripe-Signature': forged }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('keys the HMAC with the whole secret as text, whsec_ prefix included', () => {
    const raw = stripe.sign({ payload, secret: secret.slice('whsec_'.length), clock })
    expect(raw).not.toEqual(stripe.sign({ payload, secret, clock }))
    expect(codeOf(() => verify(raw))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })
})
