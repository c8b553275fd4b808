import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'X-Shopify-Hmac-Sha256'

const signature = (key: Buffer, body: Uint8Array): string =>
  hmacSha256(key, body).toString('base64')

/**
 * `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`, keyed with the app's client secret.
 * Nothing dates it (Shopify re-sends the original payload), so replays are caught only by
 * deduplicating on `X-Shopify-Event-Id`.
 */
export const shopify = Object.freeze<WebhookScheme>({
  name: 'shopify',

  sign(options) {
    const { body, key } = signInputs('shopify', options, utf8Key)
    return { [header]: signature(key, body) }
  },

  verify(headers, rawBody, options) {
    const { body, keys } = verifyInputs('shopify', headers, rawBody, options, utf8Key)
    const values = headerValues(headers, header)
    const [value] = values
    if (value === undefined) {
      throw rejection('shopify', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
    }
    if (values.length > 1) {
      throw rejection(
        'shopify',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        `has more than one ${header} header`,
      )
    }
    const secretIndex = matchingSecret(
      'shopify',
      keys,
      (key) => equalsAny([value], signature(key, body)),
      'has a signature that does not match its body',
    )
    return { scheme: 'shopify', secretIndex }
  },
})
