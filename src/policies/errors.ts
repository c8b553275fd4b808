import { SeamlineError, type SeamlineErrorOptions } from '../errors/index.js'

/** An attempt or the overall deadline ran out. */
export class TimeoutError extends SeamlineError {
  override readonly name = 'TimeoutError'
  constructor(options: SeamlineErrorOptions) {
    super('SEAM_ERR_TIMEOUT', options)
  }
}

/** The provider asked to wait longer than the deadline allows; reschedule after `retryAfterMs`. */
export class RateLimitedError extends SeamlineError {
  override readonly name = 'RateLimitedError'
  readonly retryAfterMs: number
  constructor(retryAfterMs: number, options: SeamlineErrorOptions) {
    super('SEAM_ERR_RATE_LIMITED', options)
    this.retryAfterMs = retryAfterMs
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs }
  }
}

/** A circuit breaker refused the call without running it; it probes again after `retryAfterMs`. */
export class CircuitOpenError extends SeamlineError {
  override readonly name = 'CircuitOpenError'
  readonly retryAfterMs: number
  constructor(retryAfterMs: number, options: SeamlineErrorOptions) {
    super('SEAM_ERR_CIRCUIT_OPEN', options)
    this.retryAfterMs = retryAfterMs
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs }
  }
}

/** A bulkhead refused the call: every slot and queue place was taken. */
export class BulkheadFullError extends SeamlineError {
  override readonly name = 'BulkheadFullError'
  constructor(options: SeamlineErrorOptions) {
    super('SEAM_ERR_BULKHEAD_FULL', options)
  }
}

/** One attempt of a retried operation, as kept in the history. */
export interface AttemptRecord {
  attempt: number
  /** Whether the attempt returned (perhaps a value judged a failure, such as a 503) or threw. */
  returned: boolean
  /** Why it was judged as it was. */
  reason: string
  /** The wait after this attempt before the next; 0 for the last. */
  waitMs: number
}

/** Every allowed attempt failed (or the deadline or budget allowed no more). */
export class RetriesExhaustedError extends SeamlineError {
  override readonly name = 'RetriesExhaustedError'
  readonly attempts: readonly AttemptRecord[]
  constructor(attempts: readonly AttemptRecord[], options: SeamlineErrorOptions) {
    super('SEAM_ERR_RETRIES_EXHAUSTED', options)
    this.attempts = attempts
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), attempts: this.attempts }
  }
}
