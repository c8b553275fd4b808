import { SeamlineError, type SeamlineErrorOptions } from '../errors/index.js'

/** One attempt of an HTTP call, as kept in the history. */
export interface HttpAttempt {
  attempt: number
  /** The response status, when one came. */
  status?: number
  /** The network error's code (or name) when none came. */
  error?: string
  /** Why it was judged as it was: `server error (503)`, `rate limited (429)`… */
  reason: string
  /** The wait after it, before the next attempt; 0 for the last. */
  waitMs: number
}

/** The call ended with an error status. */
export class HttpStatusError extends SeamlineError {
  override readonly name = 'HttpStatusError'
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly attempts: readonly HttpAttempt[]
  /**
   * True when sending the same call again cannot succeed: the provider refused it (400, 401 and
   * 403 after a refresh, 404, 409, 410, 422) and its rules say not to retry. A durable job that
   * throws it is a dead letter at once.
   */
  readonly permanent: boolean
  constructor(
    details: {
      status: number
      headers: Record<string, string>
      body: unknown
      attempts: HttpAttempt[]
      permanent?: boolean
    },
    options: SeamlineErrorOptions,
  ) {
    super('SEAM_ERR_HTTP_STATUS', options)
    this.status = details.status
    this.headers = details.headers
    this.body = details.body
    this.attempts = details.attempts
    this.permanent = details.permanent ?? false
  }
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      permanent: this.permanent,
      attempts: this.attempts,
    }
  }
}

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

/**
 * The provider's own words in an error body, where the common shapes keep them: Stripe's and
 * OpenAI's `error.message`, GitHub's and Shopify's `message`/`errors`, RFC 9457's `detail`,
 * a plain `error` string. At most 300 characters.
 */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { error, message, detail, errors, title } = body as Record<string, unknown>
  const nested =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {}
  const first = Array.isArray(errors) ? (errors[0] as unknown) : errors
  const found =
    textOf(nested.message) ??
    textOf(message) ??
    textOf(detail) ??
    textOf(error) ??
    textOf(first) ??
    textOf((first as { message?: unknown } | null)?.message) ??
    textOf(title)
  return found === undefined ? undefined : found.length > 300 ? `${found.slice(0, 299)}…` : found
}

/** The call ended without a response. */
export class NetworkError extends SeamlineError {
  override readonly name = 'NetworkError'
  readonly attempts: readonly HttpAttempt[]
  constructor(attempts: HttpAttempt[], options: SeamlineErrorOptions) {
    super('SEAM_ERR_NETWORK', options)
    this.attempts = attempts
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), attempts: this.attempts }
  }
}

/** A 2xx response claimed JSON but did not parse. */
export class MalformedResponseError extends SeamlineError {
  override readonly name = 'MalformedResponseError'
  readonly status: number
  constructor(status: number, options: SeamlineErrorOptions) {
    super('SEAM_ERR_MALFORMED_RESPONSE', options)
    this.status = status
  }
}
