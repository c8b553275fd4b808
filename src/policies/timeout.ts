import { SeamlineError } from '../errors/index.js'
import { createEmitter } from '../events/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { deadlineOf, scopeDeadline } from './deadline.js'
import { TimeoutError } from './errors.js'
import { settle, type Policy, type Work } from './policy.js'

export interface TimeoutOptions {
  /** How long the work may run. */
  ms: number
  /** Names the limit in errors and events: `attempt`, `deadline`, a provider… */
  name?: string
  clock?: Clock
}

export type TimeoutEvents = { timeout: { name: string; ms: number } }

/**
 * Bounds work in time. The work's signal aborts with a `TimeoutError` when time runs out (or at
 * an outer deadline, if sooner), and the call rejects then even if the work ignores its signal.
 * The deadline travels with the signal, so a retry inside never waits past it.
 */
export function timeout(options: TimeoutOptions): Policy<TimeoutEvents> {
  const clock = options.clock ?? systemClock
  const name = options.name ?? 'timeout'
  const events = createEmitter<TimeoutEvents>()
  if (!(Number.isFinite(options.ms) && options.ms >= 0)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'timeout',
      target: 'ms',
      reason: `must be a finite number >= 0 (got ${String(options.ms)})`,
    })
  }
  return {
    events,
    async execute<T>(work: Work<T>, signal?: AbortSignal): Promise<T> {
      signal?.throwIfAborted()
      const limit = options.ms
      const at = clock.now() + limit
      const outer = deadlineOf(signal)
      const reason =
        outer !== undefined && outer < at
          ? `reached the deadline set around it, before its own ${limit} ms`
          : `took longer than ${limit} ms`
      const expired = (): TimeoutError =>
        new TimeoutError({ operation: 'run', target: name, reason })
      const scope = scopeDeadline(signal, at, clock, expired)
      try {
        const outcome = await settle(scope.bound(work(scope.signal)))
        if (outcome.ok) return outcome.value
        if (outcome.error instanceof TimeoutError && scope.signal.reason === outcome.error) {
          events.emit('timeout', { name, ms: limit })
        }
        throw outcome.error
      } finally {
        scope.dispose()
      }
    },
  }
}
