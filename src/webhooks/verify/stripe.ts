import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'Stripe-Signature'

// The key is the whole `whsec_…` string as UTF-8, not a decoded form of it.
const signature = (key: Buffer, t: string, body: Uint8Array): string =>
  hmacSha256(key, `${t}.`, body).toString('hex')

/** `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const stripe = Object.freeze<WebhookScheme>({
  name: 'stripe',

  sign(options) {
    const { body, key, clock } = signInputs('stripe', options, utf8Key)
    const t = String(signingSeconds('stripe', clock))
    return { [header]: `t=${t},v1=${signature(key, t, body)}` }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'stripe',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const values = headerValues(headers, header)
    if (values.length === 0) {
      throw rejection('stripe', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
    }
    // Repeated headers are one comma-separated list, as HTTP combines them.
    const { t, v1 } = parse(values.join(','))
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) {
      throw rejection(
        'stripe',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        `has a ${header} header whose t= is not unix seconds`,
      )
    }
    const secretIndex = matchingSecret(
      'stripe',
      keys,
      (key) => equalsAny(v1, signature(key, t, body)),
      'has no v1 signature that matches its body',
    )
    assertFresh('stripe', timestamp, clock, toleranceMs)
    return { scheme: 'stripe', secretIndex, timestamp }
  },
})

// `t=…,v1=…,v1=…,v0=…`: one timestamp, any number of v1 signatures; other schemes are ignored.
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
  rejection('stripe', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has a ${header} header with ${what}`)
