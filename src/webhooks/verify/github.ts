import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'X-Hub-Signature-256'
const prefix = 'sha256='

const signature = (key: Buffer, body: Uint8Array): string =>
  prefix + hmacSha256(key, body).toString('hex')

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. Nothing dates it, so replays are
 * caught only by deduplicating on `X-GitHub-Delivery`.
 */
export const github = Object.freeze<WebhookScheme>({
  name: 'github',

  sign(options) {
    const { body, key } = signInputs('github', options, utf8Key)
    return { [header]: signature(key, body) }
  },

  verify(headers, rawBody, options) {
    const { body, keys } = verifyInputs('github', headers, rawBody, options, utf8Key)
    const values = headerValues(headers, header)
    const [value] = values
    if (value === undefined) {
      throw rejection('github', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
    }
    if (values.length > 1 || !value.startsWith(prefix)) {
      throw rejection(
        'github',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        values.length > 1
          ? `has more than one ${header} header`
          : `has a ${header} header that does not start with ${prefix}`,
      )
    }
    const secretIndex = matchingSecret(
      'github',
      keys,
      (key) => equalsAny([value], signature(key, body)),
      'has a signature that does not match its body',
    )
    return { scheme: 'github', secretIndex }
  },
})
