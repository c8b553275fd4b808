import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

// Shopify publishes no SDK that signs, so the oracle is the documented formula:
// base64(HMAC-SHA256(app client secret, raw body)).
const { shopify } = webhookSchemes
const secret = 'shpss_app_client_secret'
const payload = '{"id":820982911946154508,"email":"jon@doe.ca","note":"café ☕"}'
// Computed outside this code base with
// `printf '%s' "$payload" | openssl dgst -sha256 -hmac "$secret" -binary | base64`.
const expected = 'rkU/b+KCoXzdk56EXj/+aIrePMaLeF8PDuQ+1iPOBVo='

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
  shopify.verify(headers, body, { secrets: [secret] })

describe('shopify', () => {
  it('signs the value computed by hand from the documented formula', () => {
    expect(createHmac('sha256', secret).update(payload, 'utf8').digest('base64')).toBe(expected)
    expect(shopify.sign({ payload, secret })).toEqual({ 'X-Shopify-Hmac-Sha256': expected })
  })

  it('verifies the value computed by hand', () => {
    expect(verify({ 'X-Shopify-Hmac-Sha256': expected })).toEqual({
      scheme: 'shopify',
      secretIndex: 0,
    })
    expect(verify({ 'x-shopify-hmac-sha256': expected }, Buffer.from(payload))).toEqual({
      scheme: 'shopify',
      secretIndex: 0,
    })
  })

  it('rejects the same digest in hex, unpadded, or with whitespace around it', () => {
    const hex = Buffer.from(expected, 'base64').toString('hex')
    for (const header of [hex, expected.replace(/=+$/, ''), `${expected} `, `${expected}\n`]) {
      expect(
        codeOf(() => verify({ 'X-Shopify-Hmac-Sha256': header })),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    }
  })

  it('rejects two signature headers rather than pick one', () => {
    expect(codeOf(() => verify({ 'X-Shopify-Hmac-Sha256': [expected, expected] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
  })
})
