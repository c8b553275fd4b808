import { rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { requestMethod, requestUrl, signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixMilliseconds, signingMilliseconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const signatureHeader = 'X-HubSpot-Signature-v3'
const timestampHeader = 'X-HubSpot-Request-Timestamp'

const signature = (key: Buffer, method: string, url: string, body: Uint8Array, t: string): string =>
  hmacSha256(key, method + url, body, t).toString('base64')

/**
 * HubSpot's v3 request signature: `X-HubSpot-Signature-v3: <base64 HMAC-SHA256 of method + URL
 * + body + t>` with `X-HubSpot-Request-Timestamp: <t>` (epoch milliseconds), keyed with the
 * app's client secret. `url` is required and `method` defaults to POST. The URL must be the
 * one HubSpot signed, character for character; HubSpot's guide describes decoding some
 * percent-escapes in it first, which HubSpot's Node SDK does not do and which is not applied
 * here: pass the URL as HubSpot sends to it. The older v1 and v2 signatures are not accepted.
 */
export const hubspot = Object.freeze<WebhookScheme>({
  name: 'hubspot',

  sign(options) {
    const { body, key, clock } = signInputs('hubspot', options, utf8Key)
    const url = requestUrl('sign', 'hubspot', options.url)
    const method = requestMethod('sign', 'hubspot', options.method)
    const t = String(signingMilliseconds('hubspot', clock))
    return { [signatureHeader]: signature(key, method, url, body, t), [timestampHeader]: t }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'hubspot',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const url = requestUrl('verify', 'hubspot', options.url)
    const method = requestMethod('verify', 'hubspot', options.method)
    const given = singleHeader('hubspot', headers, signatureHeader)
    const t = singleHeader('hubspot', headers, timestampHeader)
    const timestamp = parseUnixMilliseconds(t)
    if (timestamp === undefined) {
      throw rejection(
        'hubspot',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        `has a ${timestampHeader} header that is not unix milliseconds`,
      )
    }
    const secretIndex = matchingSecret(
      'hubspot',
      keys,
      (key) => equalsAny([given], signature(key, method, url, body, t)),
      'has a signature that does not match its method, URL and body',
    )
    assertFresh('hubspot', timestamp, clock, toleranceMs)
    return { scheme: 'hubspot', secretIndex, timestamp }
  },
})
