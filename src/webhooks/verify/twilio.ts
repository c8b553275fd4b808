import { createHash } from 'node:crypto'
import { invalidArgument, rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { equalsAny, hmac } from './hmac.js'
import { matchingSecret } from './match.js'
import { requestUrl, signInputs, utf8Key, verifyInputs } from './options.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const header = 'X-Twilio-Signature'
const bodyHashParameter = 'bodySHA256'

const sha256Hex = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex')

const signature = (key: Buffer, url: string, params: string): string =>
  hmac('sha1', key, url, params).toString('base64')

/**
 * The form parameters as Twilio signs them: sorted by name, each name followed by its value
 * (a repeated name's distinct values sorted and each preceded by the name), all concatenated.
 */
function signedParams(form: Uint8Array): string {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(Buffer.from(form).toString('utf8'))) {
    grouped.set(name, [...(grouped.get(name) ?? []), value])
  }
  return [...grouped.keys()]
    .sort()
    .map((name) => {
      const values = [...new Set(grouped.get(name))].sort()
      return values.map((value) => name + value).join('')
    })
    .join('')
}

/** The hash a JSON request's URL carries in `bodySHA256`, or undefined for a form request. */
const bodyHashOf = (url: string): string | undefined =>
  new URL(url).searchParams.get(bodyHashParameter) ?? undefined

/**
 * The spellings of the URL Twilio may have signed, as its own library tries them: as given and
 * as the WHATWG parser writes it, each without a port and with the scheme's default port.
 */
function urlVariants(url: string): string[] {
  const variants = [url, new URL(url).toString()].flatMap((u) => [withoutPort(u), withPort(u)])
  return [...new Set(variants)]
}

// Split without normalising: the path and query must keep the exact characters Twilio signed.
const authorityPattern = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is

function withoutPort(url: string): string {
  const match = authorityPattern.exec(url)
  if (!match) return url
  const [, scheme = '', authority = '', rest = ''] = match
  return scheme + authority.replace(/:\d*$/, '') + rest
}

function withPort(url: string): string {
  const match = authorityPattern.exec(url)
  if (!match) return url
  const [, scheme = '', authority = '', rest = ''] = match
  if (/:\d*$/.test(authority)) return url
  return scheme + authority + (scheme.toLowerCase() === 'https://' ? ':443' : ':80') + rest
}

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` keyed with the account's Auth Token, over
 * the full request URL followed by the sorted form parameters. For a JSON body Twilio adds
 * `bodySHA256=<hex SHA-256 of the body>` to the URL and signs the URL alone; the body is then
 * checked against that hash. `url` is required. Nothing dates it: replays are caught only by
 * deduplicating, for instance on the resource SID and its status.
 */
export const twilio = Object.freeze<WebhookScheme>({
  name: 'twilio',

  sign(options) {
    const { body, key } = signInputs('twilio', options, utf8Key)
    const url = requestUrl('sign', 'twilio', options.url)
    const bodyHash = bodyHashOf(url)
    if (bodyHash !== undefined && bodyHash !== sha256Hex(body)) {
      throw invalidArgument(
        'sign',
        'twilio',
        'url',
        `has a ${bodyHashParameter} that is not the SHA-256 of the payload`,
      )
    }
    return { [header]: signature(key, url, bodyHash === undefined ? signedParams(body) : '') }
  },

  verify(headers, rawBody, options) {
    const { body, keys } = verifyInputs('twilio', headers, rawBody, options, utf8Key)
    const url = requestUrl('verify', 'twilio', options.url)
    const given = singleHeader('twilio', headers, header)
    const bodyHash = bodyHashOf(url)
    const params = bodyHash === undefined ? signedParams(body) : ''
    const urls = urlVariants(url)
    const secretIndex = matchingSecret(
      'twilio',
      keys,
      (key) => urls.some((u) => equalsAny([given], signature(key, u, params))),
      'has a signature that does not match its URL and parameters',
    )
    if (bodyHash !== undefined && !equalsAny([bodyHash], sha256Hex(body))) {
      throw rejection(
        'twilio',
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        `has a body whose SHA-256 is not the ${bodyHashParameter} its signed URL carries`,
      )
    }
    return { scheme: 'twilio', secretIndex }
  },
})
