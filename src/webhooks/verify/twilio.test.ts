import { createHash } from 'node:crypto'
import twilioSdk from 'twilio'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const {
  getExpectedBodyHash,
  getExpectedTwilioSignature,
  validateRequest,
  validateRequestWithBody,
} = twilioSdk
const twilio = webhookSchemes.twilio
const authToken = '12345abcdef0123456789abcdef01234'
const otherToken = 'fedcba98765432100123456789abcdef'
const header = 'X-Twilio-Signature'
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'
// A form body as Twilio posts it, with a repeated name, escapes and a non-ASCII value.
const form =
  'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212&Body=Caf%C3%A9+%E2%98%95&MediaUrl=b&MediaUrl=a&MediaUrl=b'
const params = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
  Body: 'Café ☕',
  MediaUrl: ['b', 'a', 'b'],
}
const json =
  '{"ProfileSid":"BU1234","EventType":"com.twilio.messaging.message.delivered","note":"café ☕"}'
const jsonUrl = (body: string) =>
  `https://mycompany.com/events?bodySHA256=${createHash('sha256').update(body).digest('hex')}`

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, body: string, requestUrl: string, secrets = [authToken]) =>
  twilio.verify(headers, body, { secrets, url: requestUrl })

describe('twilio', () => {
  describe('form bodies, against the official SDK', () => {
    const signed = twilio.sign({ payload: form, secret: authToken, url })

    it('signs exactly as getExpectedTwilioSignature does, over the URL and sorted parameters', () => {
      expect(signed).toEqual({ [header]: getExpectedTwilioSignature(authToken, url, params) })
    })

    it('signs what validateRequest accepts, and nothing else', () => {
      const signature = signed[header] ?? ''
      expect(validateRequest(authToken, signature, url, params)).toBe(true)
      expect(validateRequest(otherToken, signature, url, params)).toBe(false)
      expect(validateRequest(authToken, signature, url, { ...params, Digits: '1235' })).toBe(false)
      expect(validateRequest(authToken, signature, `${url}&baz=3`, params)).toBe(false)
    })

    it('verifies what the SDK signs, with or without the default port', () => {
      const theirs = { [header]: getExpectedTwilioSignature(authToken, url, params) }
      expect(verify(theirs, form, url)).toEqual({ scheme: 'twilio', secretIndex: 0 })
      expect(verify(theirs, form, 'https://mycompany.com:443/myapp.php?foo=1&bar=2').scheme).toBe(
        'twilio',
      )
      const withPort = {
        [header]: getExpectedTwilioSignature(
          authToken,
          'https://mycompany.com:443/myapp.php?foo=1&bar=2',
          params,
        ),
      }
      expect(verify(withPort, form, url).scheme).toBe('twilio')
      expect(codeOf(() => verify(theirs, form, url, [otherToken]))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
      expect(codeOf(() => verify(theirs, form.replace('1234', '1235'), url))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
      expect(codeOf(() => verify(theirs, form, 'https://mycompany.com/myapp.php?foo=1'))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    })

    it('reads the parameters Twilio signed, not the bytes: their order and escaping do not matter', () => {
      const reordered = form.split('&').reverse().join('&').replace('Caf%C3%A9+', 'Caf%C3%A9%20')
      expect(verify(signed, reordered, url).scheme).toBe('twilio')
    })
  })

  describe('JSON bodies, with bodySHA256 in the URL', () => {
    const requestUrl = jsonUrl(json)
    const signed = twilio.sign({ payload: json, secret: authToken, url: requestUrl })

    it('signs what validateRequestWithBody accepts, and nothing else', () => {
      const signature = signed[header] ?? ''
      expect(validateRequestWithBody(authToken, signature, requestUrl, json)).toBe(true)
      expect(validateRequestWithBody(otherToken, signature, requestUrl, json)).toBe(false)
      expect(validateRequestWithBody(authToken, signature, requestUrl, `${json} `)).toBe(false)
    })

    it('verifies what the SDK signs, and checks the body against the hash', () => {
      const sdkUrl = `https://mycompany.com/events?bodySHA256=${getExpectedBodyHash(json)}`
      expect(sdkUrl).toBe(requestUrl)
      const theirs = { [header]: getExpectedTwilioSignature(authToken, sdkUrl, {}) }
      expect(verify(theirs, json, requestUrl)).toEqual({ scheme: 'twilio', secretIndex: 0 })
      expect(codeOf(() => verify(theirs, `${json} `, requestUrl))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    })

    it('refuses to sign a payload whose hash is not the one in the URL', () => {
      expect(
        codeOf(() => twilio.sign({ payload: `${json} `, secret: authToken, url: requestUrl })),
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    })
  })

  it('needs the URL to sign or verify, and says so', () => {
    const signed = twilio.sign({ payload: form, secret: authToken, url })
    expect(() => twilio.verify(signed, form, { secrets: [authToken] })).toThrow(
      'verify twilio webhook url is required: this scheme signs the URL the webhook is sent to',
    )
    expect(codeOf(() => twilio.sign({ payload: form, secret: authToken }))).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
    expect(codeOf(() => verify(signed, form, '/myapp.php'))).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })
})
