import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'Paddle-Signature'

const signature = (key: Buffer, ts: string, body: Uint8Array): string =>
  hmacSha256(key, `${ts}:`, body).toString('hex')

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<body>">`,
 * keyed with the notification destination's secret key (`pdl_ntfset_…`) as text. Paddle may
 * send several `h1` entries while a secret is rotated; any one of them may match.
 */
export const paddle = Object.freeze<WebhookScheme>({
  name: 'paddle',

  sign(options) {
    const { body, key, clock } = signInputs('paddle', options, utf8Key)
    const ts = String(signingSeconds('paddle', clock))
    return { [header]: `ts=${ts};h1=${signature(key, ts, body)}` }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'paddle',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const values = headerValues(headers, header)
    if (values.length === 0) {
      throw rejection('paddle', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
    }
    // Repeated headers are one list, as HTTP combines them.
    const { ts, h1 } = parse(values.join(';'))
    const timestamp = parseUnixSeconds(ts)
    if (timestamp === undefined) throw malformed('a ts= that is not unix seconds')
    const secretIndex = matchingSecret(
      'paddle',
      keys,
      (key) => equalsAny(h1, signature(key, ts, body)),
      'has no h1 signature that matches its body',
    )
    assertFresh('paddle', timestamp, clock, toleranceMs)
    return { scheme: 'paddle', secretIndex, timestamp }
  },
})

// `ts=…;h1=…;h1=…`: one timestamp, any number of h1 signatures; other entries are ignored.
function parse(value: string): { ts: string; h1: string[] } {
  let ts: string | undefined
  const h1: string[] = []
  for (const item of value.split(';')) {
    const at = item.indexOf('=')
    if (at < 0) continue
    const name = item.slice(0, at).trim()
    const text = item.slice(at + 1).trim()
    if (name === 'h1') h1.push(text)
    else if (name === 'ts') {
      if (ts !== undefined && ts !== text) throw malformed('more than one ts= timestamp')
      ts = text
    }
  }
  if (ts === undefined) throw malformed('no ts= timestamp')
  if (h1.length === 0) throw malformed('no h1= signature')
  return { ts, h1 }
}

const malformed = (what: string) =>
  rejection('paddle', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has a ${header} header with ${what}`)
