import { SeamlineError } from '../errors/index.js'
import type { Clock } from '../time/index.js'
import type { Backoff } from './backoff.js'
import { BulkheadFullError, CircuitOpenError, RateLimitedError } from './errors.js'
import type { Outcome } from './policy.js'

export interface CircuitBreakerOptions {
  /** Names the circuit in errors and events (a provider, say). Default `circuit`. */
  name?: string
  /** Opens after this many failures in a row. */
  consecutiveFailures?: number
  /** Opens when at least this share (0..1] of the calls in `windowMs` failed. */
  failureRate?: number
  /** The rolling window `failureRate` looks at. Default 30 s. */
  windowMs?: number
  /** `failureRate` is not judged on fewer calls than this in the window. Default 10. */
  minimumThroughput?: number
  /** How long it stays open before probing; a `Backoff` opens longer after each failed probe. Default 30 s. */
  openMs?: number | Backoff
  /** Calls let through to probe while half-open; all must succeed to close. Default 1. */
  halfOpenProbes?: number
  /** Whether an outcome counts as a failure. Default: see `isFailureByDefault`. */
  isFailure?: (outcome: Outcome<unknown>) => boolean
  clock?: Clock
}

/**
 * Thrown errors fail, except refusals by inner policies (an open circuit, a full bulkhead, a
 * rate limit: the provider was never asked). Returned values fail when they carry a `status`
 * of 429 or 5xx: the HTTP client resolves with `{ status, headers, body }` for error statuses
 * instead of throwing, and runs its policies around each attempt, so this is how a breaker in
 * its `policies` sees a provider in trouble. A 404 is the caller's problem, not the provider's.
 */
export function isFailureByDefault(outcome: Outcome<unknown>): boolean {
  if (!outcome.ok) {
    const error = outcome.error
    return !(
      error instanceof CircuitOpenError ||
      error instanceof BulkheadFullError ||
      error instanceof RateLimitedError
    )
  }
  const status = (outcome.value as { status?: unknown } | null)?.status
  return typeof status === 'number' && (status >= 500 || status === 429)
}

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'circuitBreaker',
    target,
    reason,
  })
}

const wholeAtLeastOne = (name: string, value: number | undefined): void => {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1))
    throw invalid(name, `must be a whole number >= 1 (got ${String(value)})`)
}

/** Throws a typed error naming the first option the breaker cannot work with. */
export function checkCircuitOptions(options: CircuitBreakerOptions): void {
  const { consecutiveFailures, failureRate, openMs } = options
  if (consecutiveFailures === undefined && failureRate === undefined)
    throw invalid('consecutiveFailures', 'or failureRate must be set, or the circuit never opens')
  wholeAtLeastOne('consecutiveFailures', consecutiveFailures)
  wholeAtLeastOne('halfOpenProbes', options.halfOpenProbes)
  if (failureRate !== undefined && !(failureRate > 0 && failureRate <= 1))
    throw invalid('failureRate', `must be a number in (0, 1] (got ${String(failureRate)})`)
  for (const name of ['windowMs', 'minimumThroughput'] as const) {
    // Alone they would silently do nothing: most likely failureRate was forgotten.
    if (options[name] !== undefined && failureRate === undefined)
      throw invalid(name, `only applies with failureRate (got ${String(options[name])})`)
  }
  const windowMs = options.windowMs
  if (windowMs !== undefined && !(Number.isFinite(windowMs) && windowMs > 0))
    throw invalid('windowMs', `must be a finite number > 0 (got ${String(windowMs)})`)
  wholeAtLeastOne('minimumThroughput', options.minimumThroughput)
  if (
    typeof openMs === 'number'
      ? !(Number.isFinite(openMs) && openMs >= 0)
      : openMs !== undefined && typeof (openMs as Partial<Backoff> | null)?.delay !== 'function'
  )
    throw invalid(
      'openMs',
      `must be a finite number >= 0 or a Backoff (got ${typeof openMs === 'number' ? openMs : JSON.stringify(openMs)})`,
    )
}
