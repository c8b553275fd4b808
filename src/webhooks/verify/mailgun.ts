import { randomBytes } from 'node:crypto'
import { invalidArgument, rejection } from './failure.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, utf8Key, verifyInputs } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { SignOptions, WebhookScheme } from '../webhook-scheme.js'

const signature = (key: Buffer, timestamp: string, token: string): string =>
  hmacSha256(key, timestamp + token).toString('hex')

// What `signBody` accepts as a token: Mailgun sends 50 random characters.
const tokenPattern = /^[\x21-\x7e]{1,200}$/

interface Signed {
  timestamp: string
  token: string
  /** `signature`, and `parent-signature` when Mailgun sends one for a subaccount. */
  signatures: string[]
}

const missing = () =>
  rejection('mailgun', 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', 'has no signature in its body')
const malformed = (what: string) =>
  rejection('mailgun', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)

function decode(body: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    return undefined
  }
}

const isJson = (text: string) => /^\s*[[{]/.test(text)

function read(body: Uint8Array): Signed {
  const text = decode(body)
  if (text === undefined) throw malformed('a body that is not UTF-8 text')
  return isJson(text) ? readJson(text) : readForm(text)
}

// `{"signature": {"timestamp": "…", "token": "…", "signature": "…"}, "event-data": {…}}`
function readJson(text: string): Signed {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw malformed('a body that is not valid JSON')
  }
  const object = parsed as Record<string, unknown>
  if (!Object.hasOwn(object, 'signature')) throw missing()
  const value = object.signature
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('a signature in its body that is not an object')
  }
  const field = (name: string): unknown =>
    Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined
  const timestamp = field('timestamp')
  const token = field('token')
  const sig = field('signature')
  const parent = field('parent-signature')
  if (sig === undefined) throw missing()
  if (typeof sig !== 'string' || (parent !== undefined && typeof parent !== 'string')) {
    throw malformed('a signature that is not a string')
  }
  if (typeof token !== 'string' || token === '') throw malformed('no token beside its signature')
  // Mailgun documents the timestamp as an int and sends it as a string; either is read as text.
  const t = typeof timestamp === 'number' ? String(timestamp) : timestamp
  if (typeof t !== 'string') throw malformed('no timestamp beside its signature')
  return { timestamp: t, token, signatures: parent === undefined ? [sig] : [sig, parent] }
}

// The older form-encoded webhooks: `timestamp=…&token=…&signature=…` among the event's fields.
function readForm(text: string): Signed {
  const form = new URLSearchParams(text)
  const one = (name: string): string | undefined => {
    const values = form.getAll(name)
    if (values.length > 1) throw malformed(`more than one ${name} field`)
    return values[0]
  }
  const sig = one('signature')
  if (sig === undefined || sig === '') throw missing()
  const timestamp = one('timestamp')
  const token = one('token')
  if (token === undefined || token === '') throw malformed('no token beside its signature')
  if (timestamp === undefined) throw malformed('no timestamp beside its signature')
  return { timestamp, token, signatures: [sig] }
}

/**
 * Mailgun puts its signature in the body: a JSON body carries a `signature` object
 * `{timestamp, token, signature}` beside `event-data`, and a form-encoded one the fields
 * `timestamp`, `token` and `signature`. The signature is the hex HMAC-SHA256 of timestamp and
 * token run together, keyed with the HTTP webhook signing key. **The event data is not
 * signed**: the signature only proves that Mailgun sent this token at this time. The
 * timestamp (unix seconds) is held to the tolerance, and the token is reported as `id`, the
 * key to dedupe on so a captured signature cannot be replayed with other event data.
 * Subaccount events may carry a `parent-signature`, accepted too (list the primary account's
 * key among the secrets).
 *
 * There is no header to sign, so `sign` throws; `signBody` adds a signature to a payload
 * (a JSON object, or form fields) and returns the body to send, using `id` as the token
 * when given.
 */
export const mailgun = Object.freeze<WebhookScheme & { signBody(options: SignOptions): string }>({
  name: 'mailgun',

  sign() {
    throw invalidArgument(
      'sign',
      'mailgun',
      'options',
      'cannot be signed into headers: Mailgun signs inside the body, use signBody',
    )
  },

  signBody(options) {
    const { body, key, clock } = signInputs('mailgun', options, utf8Key)
    const { id } = options
    if (id !== undefined && (typeof id !== 'string' || !tokenPattern.test(id))) {
      throw invalidArgument('sign', 'mailgun', 'id', 'must be 1 to 200 visible ASCII characters')
    }
    const token = id ?? randomBytes(25).toString('hex')
    const timestamp = String(signingSeconds('mailgun', clock))
    const fields = { timestamp, token, signature: signature(key, timestamp, token) }
    const text = decode(body)
    if (text === undefined) {
      throw invalidArgument('sign', 'mailgun', 'payload', 'must be UTF-8 text')
    }
    if (isJson(text)) {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw invalidArgument('sign', 'mailgun', 'payload', 'must be a JSON object or form fields')
      }
      return JSON.stringify({ ...parsed, signature: fields })
    }
    const form = new URLSearchParams(text)
    if (['timestamp', 'token', 'signature'].some((name) => form.has(name))) {
      throw invalidArgument(
        'sign',
        'mailgun',
        'payload',
        'already has a timestamp, token or signature field',
      )
    }
    return `${text}${text === '' ? '' : '&'}${new URLSearchParams(fields).toString()}`
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'mailgun',
      headers,
      rawBody,
      options,
      utf8Key,
    )
    const { timestamp: t, token, signatures } = read(body)
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) throw malformed('a timestamp that is not unix seconds')
    const secretIndex = matchingSecret(
      'mailgun',
      keys,
      (key) => equalsAny(signatures, signature(key, t, token)),
      'has a signature that does not match its timestamp and token',
    )
    assertFresh('mailgun', timestamp, clock, toleranceMs)
    return { scheme: 'mailgun', secretIndex, timestamp, id: token }
  },
})
