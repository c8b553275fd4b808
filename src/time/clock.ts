import { SeamlineError } from '../errors/index.js'

/** The source of time for everything in Seamline that waits or stamps. Tests inject a `FakeClock`. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /**
   * Resolves after `ms` milliseconds. Rejects with `signal.reason` as soon as `signal` aborts,
   * and leaves no listener on `signal` once settled either way.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /**
   * Calls `fn` after `ms`; the returned function cancels it. Cheaper than a sleep with an abort
   * signal for timers that are usually cancelled (per-call timeouts).
   */
  after(ms: number, fn: () => void): () => void
}

/** Throws a typed error unless `ms` is a duration a clock can wait for. */
export function assertDelay(operation: string, ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation,
      target: 'ms',
      reason: `must be a finite number of milliseconds >= 0 (got ${String(ms)})`,
    })
  }
}
