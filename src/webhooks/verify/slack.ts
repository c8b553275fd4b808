import { rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const signatureHeader = 'X-Slack-Signature'
const timestampHeader = 'X-Slack-Request-Timestamp'
const version = 'v0'

const signature = (key: Buffer, t: string, body: Uint8Array): string =>
  `${version}=${hmacSha256(key, `${version}:${t}:`, body).toString('hex')}`

/**
 * Slack's request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<t>:<body>">` with
 * `X-Slack-Request-Timestamp: <t>` (unix seconds), keyed with the app's signing secret.
 */
export const slack = Object.freeze<WebhookScheme>({
  name: 'slack',

  sign(options) {
    const { body, key, clock } = signInputs('slack', options, utf8Key)
    const t = String(signingSeconds('slack', clock))
    return { [signatureHeader]: signature(key, t, body), [timestampHeader]: t }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'slack',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const given = singleHeader('slack', headers, signatureHeader)
    const t = singleHeader('slack', headers, timestampHeader)
    if (!given.startsWith(`${version}=`)) {
      throw malformed(`a ${signatureHeader} header that does not start with ${version}=`)
    }
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined)
      throw malformed(`a ${timestampHeader} header that is not unix seconds`)
    const secretIndex = matchingSecret(
      'slack',
      keys,
      (key) => equalsAny([given], signature(key, t, body)),
      'has a signature that does not match its body',
    )
    assertFresh('slack', timestamp, clock, toleranceMs)
    return { scheme: 'slack', secretIndex, timestamp }
  },
})

const malformed = (what: string) =>
  rejection('slack', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)
