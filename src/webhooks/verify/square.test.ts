import { createHmac } from 'node:crypto'
import { WebhooksHelper } from 'square'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const square = webhookSchemes.square
const secret = 'asdf1234'
const url = 'https://example.com/webhooks/square'
const payload =
  '{"merchant_id":"MLEFBHHSJGVHD","type":"payment.updated","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","data":{"note":"café ☕"}}'
const header = 'x-square-hmacsha256-signature'

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, options: { url?: string; secrets?: string[] } = {}) =>
  square.verify(headers, payload, { secrets: [secret], url, ...options })

describe('square', () => {
  const signed = square.sign({ payload, secret, url })

  it('signs the base64 HMAC-SHA256 of the notification URL followed by the body', () => {
    // Written apart from the product code, from Square's documented formula.
    const expected = createHmac('sha256', secret)
      .update(url + payload)
      .digest('base64')
    expect(signed).toEqual({ [header]: expected })
    expect(verify(signed)).toEqual({ scheme: 'square', secretIndex: 0 })
  })

  it('signs what WebhooksHelper.verifySignature accepts, and nothing else', async () => {
    const check = (options: {
      requestBody?: string
      signatureKey?: string
      notificationUrl?: string
    }) =>
      WebhooksHelper.verifySignature({
        requestBody: payload,
        signatureHeader: signed[header] ?? '',
        signatureKey: secret,
        notificationUrl: url,
        ...options,
      })
    expect(await check({})).toBe(true)
    expect(await check({ requestBody: `${payload} ` })).toBe(false)
    expect(await check({ signatureKey: 'another key' })).toBe(false)
    expect(await check({ notificationUrl: `${url}/` })).toBe(false)
  })

  it('rejects the signature for another URL', () => {
    expect(codeOf(() => verify(signed, { url: `${url}?x=1` }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('needs the URL to sign or verify, and says so', () => {
    expect(codeOf(() => square.verify(signed, payload, { secrets: [secret] }))).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
    expect(() => square.sign({ payload, secret })).toThrow(
      'sign square webhook url is required: this scheme signs the URL the webhook is sent to',
    )
    for (const bad of ['/webhooks/square', 'example.com/hook', 'ftp://example.com/x', 42]) {
      expect(
        codeOf(() => verify(signed, { url: bad as string })),
        String(bad),
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
  })
})
