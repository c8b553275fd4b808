import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'Calendly-Webhook-Signature'

const signature = (key: Buffer, t: string, body: Uint8Array): string =>
  hmacSha256(key, `${t}.`, body).toString('hex')

/**
 * Calendly: `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 * keyed with the webhook subscription's signing key as text. Calendly's guide suggests a
 * tolerance of about 3 minutes; the default here is the usual 5, set `toleranceMs` to match.
 */
export const calendly = Object.freeze<WebhookScheme>({
  name: 'calendly',

  sign(options) {
    const { body, key, clock } = signInputs('calendly', options, utf8Key)
    const t = String(signingSeconds('calendly', clock))
    return { [header]: `t=${t},v1=${signature(key, t, body)}` }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'calendly',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const values = headerValues(headers, header)
    if (values.length === 0) {
      throw rejection('calendly', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
    }
    // Repeated headers are one comma-separated list, as HTTP combines them.
    const { t, v1 } = parse(values.join(','))
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) throw malformed('a t= that is not unix seconds')
    const secretIndex = matchingSecret(
      'calendly',
      keys,
      (key) => equalsAny(v1, signature(key, t, body)),
      'has no v1 signature that matches its body',
    )
    assertFresh('calendly', timestamp, clock, toleranceMs)
    return { scheme: 'calendly', secretIndex, timestamp }
  },
})

// `t=…,v1=…`: one timestamp, any number of v1 signatures; other entries are ignored.
function parse(value: string): { t: string; v1: string[] } {
  let t: string | undefined
  const v1: string[] = []
  for (const item of value.split(',')) {
    const at = item.indexOf('=')
    if (at < 0) continue
    const name = item.slice(0, at).trim()
    const text = item.slice(at + 1).trim()
    if (name === 'v1') v1.push(text)
    else if (name === 't') {
      if (t !== undefined && t !== text) throw malformed('more than one t= timestamp')
      t = text
    }
  }
  if (t === undefined) throw malformed('no t= timestamp')
  if (v1.length === 0) throw malformed('no v1= signature')
  return { t, v1 }
}

const malformed = (what: string) =>
  rejection(
    'calendly',
    'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    `has a ${header} header with ${what}`,
  )
