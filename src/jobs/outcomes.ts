import { isSeamlineError } from '../errors/index.js'
import type { StoredError } from '../stores/index.js'

/**
 * Thrown by a handler when retrying cannot help (a declined card, a deleted customer): the job
 * becomes a dead letter at once with reason `permanent`.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

const retryAfterBrand = Symbol.for('seamline.retryAfter')

/** What `retryAfter(ms)` returns: run the job again after `ms`, without spending an attempt. */
export interface RetryAfter {
  readonly [retryAfterBrand]: true
  readonly ms: number
  readonly reason?: string
}

/**
 * Returned (or thrown) by a handler that should run again later through no fault of its own,
 * e.g. a provider's `Retry-After`: the job is rescheduled and keeps its attempts.
 */
export function retryAfter(ms: number, reason?: string): RetryAfter {
  if (!(Number.isFinite(ms) && ms >= 0))
    throw new RangeError(`retryAfter(ms) needs ms >= 0, got ${ms}`)
  return { [retryAfterBrand]: true, ms, ...(reason !== undefined && { reason }) }
}

export function isRetryAfter(value: unknown): value is RetryAfter {
  return typeof value === 'object' && value !== null && retryAfterBrand in value
}

/**
 * How long a thrown error asks the job to wait without spending an attempt: a rate limit the
 * call could not wait out, or an open circuit. Undefined for an ordinary failure.
 */
export function waitAskedBy(error: unknown): number | undefined {
  if (isRetryAfter(error)) return error.ms
  if (
    isSeamlineError(error) &&
    (error.code === 'SEAM_ERR_RATE_LIMITED' || error.code === 'SEAM_ERR_CIRCUIT_OPEN')
  ) {
    return (error as unknown as { retryAfterMs: number }).retryAfterMs
  }
  return undefined
}

/** An error as the dead-letter listing shows it. */
export function storedError(error: unknown): StoredError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return {
      name: error.name,
      message: error.message.slice(0, 4_000),
      ...(typeof code === 'string' && { code }),
    }
  }
  return { name: 'NonError', message: String(error).slice(0, 4_000) }
}
