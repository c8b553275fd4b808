import { SeamlineError } from '../../errors/index.js'
import { invalidArgument, rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { equalsAny, hmac } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import {
  assertFresh,
  defaultToleranceMs,
  parseRfc3339,
  parseUnixMilliseconds,
  parseUnixSeconds,
  signingMilliseconds,
} from './timestamp.js'
import type { VerifiedWebhook, WebhookScheme, WebhookSchemeName } from '../webhook-scheme.js'

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512'
export type HmacEncoding = 'hex' | 'base64' | 'base64url'
export type TimestampFormat = 'unix-seconds' | 'unix-milliseconds' | 'rfc3339'

export interface GenericHmacOptions {
  algorithm: HmacAlgorithm
  /** How the digest is written in the header. */
  encoding: HmacEncoding
  /** The header that carries the signature. */
  header: string
  /** Text before the digest in the header, such as `sha256=`; the header must start with it. */
  prefix?: string
  /**
   * What is signed: literal text with the placeholders `{body}` (exactly once), `{timestamp}`
   * and `{id}` (each at most once), replaced by the raw body and the timestamp and id headers
   * exactly as sent. Example: `{timestamp}.{body}`. Placeholders side by side with no text
   * between them (`{id}{timestamp}{body}`) let characters move from one to the next; keep a
   * separator where the sender has one.
   */
  signedContent: string
  /** The header that carries the signed timestamp; required when `{timestamp}` is signed. */
  timestampHeader?: string
  /** How the timestamp is written. Default `unix-seconds`. */
  timestampFormat?: TimestampFormat
  /** The header that carries the signed message id; required when `{id}` is signed. */
  idHeader?: string
  /** The default for `verify`'s `toleranceMs`. Default 300 000 (5 minutes). */
  toleranceMs?: number
}

type Part = { literal: string } | { field: 'body' | 'timestamp' | 'id' }

interface Config {
  algorithm: HmacAlgorithm
  encoding: HmacEncoding
  header: string
  prefix: string
  parts: readonly Part[]
  timestampHeader: string | undefined
  timestampFormat: TimestampFormat
  idHeader: string | undefined
  toleranceMs: number
}

const algorithms: readonly HmacAlgorithm[] = ['sha1', 'sha256', 'sha512']
const encodings: readonly HmacEncoding[] = ['hex', 'base64', 'base64url']
const formats: readonly TimestampFormat[] = ['unix-seconds', 'unix-milliseconds', 'rfc3339']
// An HTTP header name (RFC 9110 token).
const headerPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const formatNames: Record<TimestampFormat, string> = {
  'unix-seconds': 'unix seconds',
  'unix-milliseconds': 'unix milliseconds',
  rfc3339: 'an RFC 3339 date-time',
}

function parseTimestamp(format: TimestampFormat, text: string): number | undefined {
  if (format === 'unix-seconds') return parseUnixSeconds(text)
  if (format === 'unix-milliseconds') return parseUnixMilliseconds(text)
  return parseRfc3339(text)
}

function formatTimestamp(format: TimestampFormat, ms: number): string {
  if (format === 'unix-seconds') return String(Math.floor(ms / 1000))
  if (format === 'unix-milliseconds') return String(ms)
  return new Date(ms).toISOString()
}

/**
 * A header-borne HMAC scheme under `name`: the engine behind `genericHmacScheme` and the
 * providers that sign this way (Lemon Squeezy, Typeform, Xero, Intuit, Zoom, Twitch).
 */
export function hmacHeaderScheme(name: WebhookSchemeName, config: Config): WebhookScheme {
  const { algorithm, encoding, header, prefix, parts, timestampHeader, timestampFormat, idHeader } =
    config
  const digest = (key: Buffer, fields: { body: Uint8Array; timestamp: string; id: string }) =>
    prefix +
    hmac(
      algorithm,
      key,
      ...parts.map((part) => ('literal' in part ? part.literal : fields[part.field])),
    ).toString(encoding)
  const malformed = (what: string) =>
    rejection(name, 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)

  return Object.freeze<WebhookScheme>({
    name,

    sign(options) {
      const { body, key, clock } = signInputs(name, options, utf8Key)
      const headers: Record<string, string> = {}
      let id = ''
      if (idHeader !== undefined) {
        if (typeof options.id !== 'string' || !/^[\x21-\x7e]+$/.test(options.id)) {
          throw invalidArgument(
            'sign',
            name,
            'id',
            options.id === undefined
              ? `is required: it becomes the ${idHeader} header`
              : 'must be a non-empty string of visible ASCII characters',
          )
        }
        id = options.id
        headers[idHeader] = id
      }
      let timestamp = ''
      if (timestampHeader !== undefined) {
        timestamp = formatTimestamp(timestampFormat, signingMilliseconds(name, clock))
        headers[timestampHeader] = timestamp
      }
      return { [header]: digest(key, { body, timestamp, id }), ...headers }
    },

    verify(headers, rawBody, options) {
      const { body, keys, clock, toleranceMs } = verifyInputs(
        name,
        headers,
        rawBody,
        options,
        utf8Key,
        config.toleranceMs,
      )
      const given = singleHeader(name, headers, header)
      const id = idHeader === undefined ? '' : singleHeader(name, headers, idHeader)
      const t = timestampHeader === undefined ? '' : singleHeader(name, headers, timestampHeader)
      if (!given.startsWith(prefix)) {
        throw malformed(`a ${header} header that does not start with ${prefix}`)
      }
      let timestamp: number | undefined
      if (timestampHeader !== undefined) {
        timestamp = parseTimestamp(timestampFormat, t)
        if (timestamp === undefined) {
          throw malformed(`a ${timestampHeader} header that is not ${formatNames[timestampFormat]}`)
        }
      }
      const secretIndex = matchingSecret(
        name,
        keys,
        (key) => equalsAny([given], digest(key, { body, timestamp: t, id })),
        'has a signature that does not match its body',
      )
      const verified: VerifiedWebhook = { scheme: name, secretIndex }
      if (timestamp !== undefined) {
        assertFresh(name, timestamp, clock, toleranceMs)
        verified.timestamp = timestamp
      }
      if (idHeader !== undefined) verified.id = id
      return verified
    },
  })
}

/** The options of a provider scheme built on `hmacHeaderScheme`, checked by the types alone. */
export function providerConfig(options: GenericHmacOptions): Config {
  return {
    algorithm: options.algorithm,
    encoding: options.encoding,
    header: options.header,
    prefix: options.prefix ?? '',
    parts: parseTemplate(options.signedContent),
    timestampHeader: options.timestampHeader,
    timestampFormat: options.timestampFormat ?? 'unix-seconds',
    idHeader: options.idHeader,
    toleranceMs: options.toleranceMs ?? defaultToleranceMs,
  }
}

function parseTemplate(template: string): Part[] {
  const parts: Part[] = []
  for (const piece of template.split(/(\{body\}|\{timestamp\}|\{id\})/)) {
    if (piece === '') continue
    const field = /^\{(body|timestamp|id)\}$/.exec(piece)?.[1] as
      'body' | 'timestamp' | 'id' | undefined
    parts.push(field === undefined ? { literal: piece } : { field })
  }
  return parts
}

const configError = (target: string, reason: string) =>
  new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'genericHmacScheme',
    target,
    reason,
  })

/**
 * A `WebhookScheme` for a provider that signs with an HMAC in a header: the algorithm, the
 * encoding, the header and its prefix, and what is signed (body, and optionally a timestamp
 * and a message id from other headers) are configured. Its name is `generic-hmac`. The
 * configuration is checked here, so a mistake fails at start-up, not on the first webhook;
 * a template that does not sign the body, or names a header it does not sign, is refused.
 */
export function genericHmacScheme(options: GenericHmacOptions): WebhookScheme {
  if (typeof options !== 'object' || options === null) {
    throw configError('options', 'must be an object')
  }
  const {
    algorithm,
    encoding,
    header,
    prefix = '',
    signedContent,
    timestampHeader,
    idHeader,
  } = options
  const { timestampFormat = 'unix-seconds', toleranceMs = defaultToleranceMs } = options
  if (!algorithms.includes(algorithm)) {
    throw configError('algorithm', `must be one of ${algorithms.join(', ')}`)
  }
  if (!encodings.includes(encoding)) {
    throw configError('encoding', `must be one of ${encodings.join(', ')}`)
  }
  if (!formats.includes(timestampFormat)) {
    throw configError('timestampFormat', `must be one of ${formats.join(', ')}`)
  }
  for (const [target, value] of [
    ['header', header],
    ['timestampHeader', timestampHeader],
    ['idHeader', idHeader],
  ] as const) {
    if (value === undefined && target !== 'header') continue
    if (typeof value !== 'string' || !headerPattern.test(value)) {
      throw configError(target, 'must be an HTTP header name')
    }
  }
  const names = [header, timestampHeader, idHeader].filter((n) => n !== undefined)
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) {
    throw configError('header', 'the signature, timestamp and id headers must differ')
  }
  if (typeof prefix !== 'string') throw configError('prefix', 'must be a string')
  if (typeof toleranceMs !== 'number' || !Number.isFinite(toleranceMs) || toleranceMs < 0) {
    throw configError('toleranceMs', 'must be a finite number of milliseconds >= 0')
  }
  if (typeof signedContent !== 'string') {
    throw configError('signedContent', 'must be a template string such as "{timestamp}.{body}"')
  }
  const parts = parseTemplate(signedContent)
  const count = (field: string) => parts.filter((p) => 'field' in p && p.field === field).length
  if (count('body') !== 1) {
    throw configError('signedContent', 'must contain {body} exactly once')
  }
  if (count('timestamp') > 1 || count('id') > 1) {
    throw configError('signedContent', 'may contain {timestamp} and {id} at most once each')
  }
  if (parts.some((p) => 'literal' in p && /[{}]/.test(p.literal))) {
    throw configError(
      'signedContent',
      'may hold no braces but the placeholders {body}, {timestamp} and {id}',
    )
  }
  if ((count('timestamp') === 1) !== (timestampHeader !== undefined)) {
    throw configError(
      'timestampHeader',
      'must be given exactly when signedContent contains {timestamp}: an unsigned timestamp proves nothing',
    )
  }
  if ((count('id') === 1) !== (idHeader !== undefined)) {
    throw configError('idHeader', 'must be given exactly when signedContent contains {id}')
  }
  return hmacHeaderScheme('generic-hmac', {
    algorithm,
    encoding,
    header,
    prefix,
    parts,
    timestampHeader,
    timestampFormat,
    idHeader,
    toleranceMs,
  })
}
