import { SeamlineError } from '../errors/index.js'
import { systemClock, type Clock } from '../time/index.js'

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

const buckets = 10

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
  // A ring of per-slice counts: sums over the last `windowMs` without keeping every timestamp.
  const slice = windowMs / buckets
  const requests = new Array<number>(buckets).fill(0)
  const retries = new Array<number>(buckets).fill(0)
  let current = Math.floor(clock.now() / slice)

  const advance = (): number => {
    const now = Math.floor(clock.now() / slice)
    for (let s = current + 1; s <= Math.min(now, current + buckets); s++) {
      requests[s % buckets] = 0
      retries[s % buckets] = 0
    }
    current = Math.max(current, now)
    return current % buckets
  }
  const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0)

  return {
    recordRequest() {
      requests[advance()]!++
    },
    tryRetry() {
      const at = advance()
      if (sum(retries) >= Math.max(minRetries, ratio * sum(requests))) return false
      retries[at]!++
      return true
    },
  }
}
