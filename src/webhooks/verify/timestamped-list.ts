import { rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme, WebhookSchemeName } from '../webhook-scheme.js'

/**
 * The scheme Stripe made common: one header listing a unix-seconds timestamp and any number of
 * hex HMAC-SHA256 signatures of `<timestamp><joiner><raw body>`, keyed with the secret as text.
 */
export interface TimestampedListFormat {
  name: WebhookSchemeName
  header: string
  /** Between the entries: `t=…,v1=…` or `ts=…;h1=…`. */
  separator: ',' | ';'
  timestampKey: string
  signatureKey: string
  /** Between the timestamp and the body in what is signed. */
  joiner: string
}

export function timestampedListScheme(format: TimestampedListFormat): WebhookScheme {
  const { name, header, separator, timestampKey, signatureKey, joiner } = format
  const signature = (key: Buffer, t: string, body: Uint8Array): string =>
    hmacSha256(key, `${t}${joiner}`, body).toString('hex')
  const malformed = (what: string) =>
    rejection(name, 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has a ${header} header with ${what}`)

  // One timestamp, any number of signatures; entries of other versions are ignored.
  const parse = (value: string): { t: string; signatures: string[] } => {
    let t: string | undefined
    const signatures: string[] = []
    for (const item of value.split(separator)) {
      const at = item.indexOf('=')
      if (at < 0) continue
      const key = item.slice(0, at).trim()
      const text = item.slice(at + 1).trim()
      if (key === signatureKey) signatures.push(text)
      else if (key === timestampKey) {
        if (t !== undefined && t !== text)
          throw malformed(`more than one ${timestampKey}= timestamp`)
        t = text
      }
    }
    if (t === undefined) throw malformed(`no ${timestampKey}= timestamp`)
    if (signatures.length === 0) throw malformed(`no ${signatureKey}= signature`)
    return { t, signatures }
  }

  return Object.freeze<WebhookScheme>({
    name,
    sign(options) {
      const { body, key, clock } = signInputs(name, options, utf8Key)
      const t = String(signingSeconds(name, clock))
      return {
        [header]: `${timestampKey}=${t}${separator}${signatureKey}=${signature(key, t, body)}`,
      }
    },
    verify(headers, rawBody, options) {
      const { body, keys, clock, toleranceMs } = verifyInputs(
        name,
        headers,
        rawBody,
        options,
        utf8Key,
      )
      const values = headerValues(headers, header)
      if (values.length === 0) {
        throw rejection(name, 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${header} header`)
      }
      // Repeated headers are one list, as HTTP combines them.
      const { t, signatures } = parse(values.join(separator))
      const timestamp = parseUnixSeconds(t)
      if (timestamp === undefined) throw malformed(`a ${timestampKey}= that is not unix seconds`)
      const secretIndex = matchingSecret(
        name,
        keys,
        (key) => equalsAny(signatures, signature(key, t, body)),
        `has no ${signatureKey} signature that matches its body`,
      )
      assertFresh(name, timestamp, clock, toleranceMs)
      return { scheme: name, secretIndex, timestamp }
    },
  })
}
