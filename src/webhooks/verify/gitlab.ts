import { createHash, timingSafeEqual } from 'node:crypto'
import { singleHeader } from './headers.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'X-Gitlab-Token'

// Digests of equal length, so neither the token's length nor where it differs shows in the time.
const digest = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()

/**
 * GitLab's secret token: `X-Gitlab-Token: <the token configured on the webhook>`, compared in
 * constant time. **This is not a signature**: it proves the sender knows the token, but the
 * body is not covered (anyone who sees one request can send any body with its token) and
 * nothing dates it. `sign` puts the token in the header and ignores the body.
 */
export const gitlab = Object.freeze<WebhookScheme>({
  name: 'gitlab',

  sign(options) {
    const { key } = signInputs('gitlab', options, utf8Key)
    return { [header]: key.toString('utf8') }
  },

  verify(headers, rawBody, options) {
    const { keys } = verifyInputs('gitlab', headers, rawBody, options, utf8Key)
    const given = digest(Buffer.from(singleHeader('gitlab', headers, header), 'utf8'))
    const secretIndex = matchingSecret(
      'gitlab',
      keys,
      (key) => timingSafeEqual(digest(key), given),
      `has an ${header} header that matches no secret token (its only signature)`,
    )
    return { scheme: 'gitlab', secretIndex }
  },
})
