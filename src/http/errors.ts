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
  constructor(
    details: {
      status: number
      headers: Record<string, string>
      body: unknown
      attempts: HttpAttempt[]
    },
    options: SeamlineErrorOptions,
  ) {
    super('SEAM_ERR_HTTP_STATUS', options)
    this.status = details.status
    this.headers = details.headers
    this.body = details.body
    this.attempts = details.attempts
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, attempts: this.attempts }
  }
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
