import { SeamlineError } from '../errors/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { rollingCounts } from './rolling-counts.js'

export interface RetryBudgetOptions {
  /** Retries may be at most this share of recent first attempts. Default 0.2. */
  ratio?: number
  /** Retries always allowed per window, so a quiet client can still retry. Default 10. */
  minRetries?: number
  /** How far back "recent" reaches. Default 10 s. */
  windowMs?: number
  clock?: Clock
}

/**
 * Caps retries at a share of recent traffic, so a failing provider sees at most (1 + ratio)
 * times the offered load instead of (max attempts) times it. One budget can be shared by every
 * client that calls the same provider.
 */
export interface RetryBudget {
  /** Counts a first attempt. */
  recordRequest(): void
  /** Counts a retry and returns true if the budget allows one now; false leaves nothing counted. */
  tryRetry(): boolean
}

export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2
  const minRetries = options.minRetries ?? 10
  const windowMs = options.windowMs ?? 10_000
  const clock = options.clock ?? systemClock
  for (const [name, value] of [
    ['ratio', ratio],
    ['minRetries', minRetries],
    ['windowMs', windowMs],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 0) || (name === 'windowMs' && value === 0)) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'retryBudget',
        target: name,
        reason: `must be a finite number ${name === 'windowMs' ? '> 0' : '>= 0'} (got ${String(value)})`,
      })
    }
  }
  const counts = rollingCounts(['requests', 'retries'], windowMs, clock)

  return {
    recordRequest() {
      counts.add('requests')
    },
    tryRetry() {
      if (counts.total('retries') >= Math.max(minRetries, ratio * counts.total('requests')))
        return false
      counts.add('retries')
      return true
    },
  }
}
