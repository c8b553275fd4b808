import { rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'Linear-Signature'
const field = 'webhookTimestamp'
/** Linear's SDK allows a minute either way. */
const linearToleranceMs = 60_000

const signature = (key: Buffer, body: Uint8Array): string => hmacSha256(key, body).toString('hex')

/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>`, keyed with the webhook's signing
 * secret. The time is signed inside the body: its `webhookTimestamp` field (epoch
 * milliseconds), read only once the signature has matched and held to the tolerance (default
 * 60 s, as Linear's SDK). The unsigned `Linear-Timestamp` header is not trusted.
 *
 * `sign` signs the payload as given: to verify, it must be a JSON object whose
 * `webhookTimestamp` is the time of sending, as Linear's are.
 */
export const linear = Object.freeze<WebhookScheme>({
  name: 'linear',

  sign(options) {
    const { body, key } = signInputs('linear', options, utf8Key)
    return { [header]: signature(key, body) }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'linear',
      headers,
      rawBody,
      options,
      utf8Key,
      linearToleranceMs,
    )
    const given = singleHeader('linear', headers, header)
    const secretIndex = matchingSecret(
      'linear',
      keys,
      (key) => equalsAny([given], signature(key, body)),
      'has a signature that does not match its body',
    )
    // Only signed bytes are parsed.
    const timestamp = bodyTimestamp(body)
    assertFresh('linear', timestamp, clock, toleranceMs)
    return { scheme: 'linear', secretIndex, timestamp }
  },
})

function bodyTimestamp(body: Uint8Array): number {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw malformed(`a body that is not JSON, so it has no ${field}`)
  }
  const value =
    typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, field)
      ? (parsed as Record<string, unknown>)[field]
      : undefined
  if (value === undefined) throw malformed(`no ${field} in its body`)
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`a ${field} that is not epoch milliseconds`)
  }
  return value
}

const malformed = (what: string) =>
  rejection('linear', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)
