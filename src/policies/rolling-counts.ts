import type { Clock } from '../time/index.js'

export interface RollingCounts {
  /** Counts one call, and one failure if it failed. */
  record(failed: boolean): void
  /** Calls and failures in the window now. */
  totals(): { calls: number; failures: number }
  /** Forgets everything: a circuit starts afresh when it closes. */
  clear(): void
}

const slices = 10

/**
 * Calls and failures over the last `windowMs`, in ten slices of time: old slices are zeroed as
 * time moves on, so a busy window costs no more than a quiet one (no timestamp per call). The
 * window reaches back between nine and ten slices, depending on where in the current one now is.
 */
export function rollingCounts(windowMs: number, clock: Clock): RollingCounts {
  const slice = windowMs / slices
  const calls = new Array<number>(slices).fill(0)
  const failures = new Array<number>(slices).fill(0)
  let current = Math.floor(clock.now() / slice)

  const advance = (): number => {
    const now = Math.floor(clock.now() / slice)
    for (let s = current + 1; s <= Math.min(now, current + slices); s++) {
      calls[s % slices] = 0
      failures[s % slices] = 0
    }
    current = Math.max(current, now)
    return current % slices
  }
  const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0)

  return {
    record(failed) {
      const at = advance()
      calls[at]!++
      if (failed) failures[at]!++
    },
    totals() {
      advance()
      return { calls: sum(calls), failures: sum(failures) }
    },
    clear() {
      calls.fill(0)
      failures.fill(0)
    },
  }
}
