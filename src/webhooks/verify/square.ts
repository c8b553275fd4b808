import { singleHeader } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { requestUrl, signInputs, utf8Key, verifyInputs } from './options.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'x-square-hmacsha256-signature'

const signature = (key: Buffer, url: string, body: Uint8Array): string =>
  hmacSha256(key, url, body).toString('base64')

/**
 * Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of the notification URL followed
 * by the body>`, keyed with the subscription's signature key as text. The URL is exactly the
 * one configured in Square, so `url` is required. Nothing dates it: replays are caught only by
 * deduplicating on the body's `event_id`.
 */
export const square = Object.freeze<WebhookScheme>({
  name: 'square',

  sign(options) {
    const { body, key } = signInputs('square', options, utf8Key)
    const url = requestUrl('sign', 'square', options.url)
    return { [header]: signature(key, url, body) }
  },

  verify(headers, rawBody, options) {
    const { body, keys } = verifyInputs('square', headers, rawBody, options, utf8Key)
    const url = requestUrl('verify', 'square', options.url)
    const given = singleHeader('square', headers, header)
    const secretIndex = matchingSecret(
      'square',
      keys,
      (key) => equalsAny([given], signature(key, url, body)),
      'has a signature that does not match its URL and body',
    )
    return { scheme: 'square', secretIndex }
  },
})
