import { systemClock, type Clock } from '../../time/index.js'
import { invalidArgument } from './failure.js'
import { defaultToleranceMs } from './timestamp.js'
import type {
  SignOptions,
  VerifyOptions,
  WebhookHeaders,
  WebhookSchemeName,
} from '../webhook-scheme.js'

/** How a scheme turns a configured secret into its HMAC key. */
export interface KeyFormat<Key = Buffer> {
  /** The key, or undefined when the secret is not one this scheme accepts. */
  decode(secret: string): Key | undefined
  /** What an accepted secret looks like, for the error message: `must be <expected>`. */
  expected: string
}

const isBlank = (text: string): boolean => /^\s*$/.test(text)

/**
 * The secret's own UTF-8 bytes are the key (Stripe, GitHub, Shopify). A blank secret is refused:
 * it is an unset variable or a stray newline far more often than a choice.
 */
export const utf8Key: KeyFormat = {
  decode: (secret) => (isBlank(secret) ? undefined : Buffer.from(secret, 'utf8')),
  expected: 'a string that is not blank',
}

export interface SignInputs<Key = Buffer> {
  body: Uint8Array
  key: Key
  clock: Clock
}

export interface VerifyInputs<Key = Buffer> {
  body: Uint8Array
  /** One per entry of `options.secrets`, in the same order. */
  keys: Key[]
  clock: Clock
  toleranceMs: number
}

// Arguments are checked at run time as well as by the types: a gateway reads secrets from
// configuration, and a mistake there must fail loudly rather than verify against nothing.

export function signInputs<Key>(
  scheme: WebhookSchemeName,
  options: SignOptions,
  format: KeyFormat<Key>,
): SignInputs<Key> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('sign', scheme, 'options', 'must be an object')
  }
  return {
    body: bodyBytes('sign', scheme, 'payload', options.payload),
    key: key('sign', scheme, 'secret', options.secret, format),
    clock: clockOf('sign', scheme, options.clock),
  }
}

export function verifyInputs<Key>(
  scheme: WebhookSchemeName,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  options: VerifyOptions,
  format: KeyFormat<Key>,
  defaultTolerance = defaultToleranceMs,
): VerifyInputs<Key> {
  if (typeof headers !== 'object' || headers === null) {
    throw invalidArgument('verify', scheme, 'headers', 'must be a Headers or a plain object')
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('verify', scheme, 'options', 'must be an object')
  }
  const { secrets, toleranceMs = defaultTolerance } = options
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw invalidArgument('verify', scheme, 'secrets', 'must list at least one secret')
  }
  if (typeof toleranceMs !== 'number' || !Number.isFinite(toleranceMs) || toleranceMs < 0) {
    throw invalidArgument(
      'verify',
      scheme,
      'toleranceMs',
      `must be a finite number of milliseconds >= 0 (got ${String(toleranceMs)})`,
    )
  }
  return {
    body: bodyBytes('verify', scheme, 'rawBody', rawBody),
    keys: secrets.map((secret: unknown, i) =>
      key('verify', scheme, `secrets[${i}]`, secret, format),
    ),
    clock: clockOf('verify', scheme, options.clock),
    toleranceMs,
  }
}

function bodyBytes(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  parameter: string,
  body: unknown,
): Uint8Array {
  // A string is the body's UTF-8 text, so it and its bytes verify alike.
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return body
  throw invalidArgument(
    operation,
    scheme,
    parameter,
    `must be the raw body as received, a string or a Uint8Array (got ${describe(body)})`,
  )
}

function key<Key>(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  parameter: string,
  secret: unknown,
  format: KeyFormat<Key>,
): Key {
  const decoded = typeof secret === 'string' ? format.decode(secret) : undefined
  if (decoded !== undefined) return decoded
  // The value is never shown: even a malformed secret may be most of a real one.
  const got =
    typeof secret !== 'string'
      ? describe(secret)
      : secret === ''
        ? 'an empty string'
        : isBlank(secret)
          ? 'a blank string'
          : 'a string'
  throw invalidArgument(operation, scheme, parameter, `must be ${format.expected} (got ${got})`)
}

function clockOf(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  clock: Clock | undefined,
): Clock {
  if (clock === undefined) return systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw invalidArgument(operation, scheme, 'clock', 'must be a Clock with a now() method')
  }
  return clock
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

/** The request URL a scheme signs, checked: it must be given, and absolute http(s). */
export function requestUrl(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  url: unknown,
): string {
  if (url === undefined) {
    throw invalidArgument(
      operation,
      scheme,
      'url',
      'is required: this scheme signs the URL the webhook is sent to',
    )
  }
  const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    throw invalidArgument(
      operation,
      scheme,
      'url',
      `must be an absolute http(s) URL (got ${describe(url)})`,
    )
  }
  return url as string
}

const methodPattern = /^[A-Za-z]+$/

/** The HTTP method a scheme signs: `POST` unless given; a token of letters, sent upper-case. */
export function requestMethod(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  method: unknown,
): string {
  if (method === undefined) return 'POST'
  if (typeof method !== 'string' || !methodPattern.test(method)) {
    throw invalidArgument(
      operation,
      scheme,
      'method',
      `must be an HTTP method such as POST (got ${typeof method === 'string' ? 'a string' : describe(method)})`,
    )
  }
  return method.toUpperCase()
}
