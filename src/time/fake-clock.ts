import { SeamlineError } from '../errors/index.js'
import { watchAbort } from './abort-watch.js'
import { assertDelay, type Clock } from './clock.js'
import { TimerQueue, type QueuedTimer } from './timer-queue.js'

export interface FakeClockOptions {
  /** Where time starts (epoch milliseconds or a Date). Default 2026-01-01T00:00:00Z. */
  now?: number | Date
}

const defaultStart = Date.UTC(2026, 0, 1)

// One macrotask turn: every promise continuation queued so far has run, so code resumed by a
// fired timer has had the chance to schedule its next sleep before the clock moves on.
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * A clock that moves only when told to. `advance(ms)` fires due sleeps in time order (ties in
 * the order they were scheduled), letting the code each one resumes run before the next fires.
 */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  #timers = new TimerQueue()
  #advancing: Promise<void> = Promise.resolve()

  constructor(options: FakeClockOptions = {}) {
    const start = options.now ?? defaultStart
    this.#now = typeof start === 'number' ? start : start.getTime()
    if (!Number.isFinite(this.#now)) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'new FakeClock',
        target: 'now',
        reason: `must be a finite epoch time (got ${String(start)})`,
      })
    }
  }

  now(): number {
    return this.#now
  }

  /** How many sleeps are waiting for the clock to move. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      assertDelay('sleep', ms)
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const timer: QueuedTimer = {
        at: this.#now + ms,
        seq: this.#seq++,
        cancelled: false,
        fire: () => {
          unwatch?.()
          resolve()
        },
      }
      const unwatch = signal
        ? watchAbort(signal, () => {
            this.#timers.cancel(timer)
            reject(signal.reason)
          })
        : undefined
      this.#timers.push(timer)
    })
  }

  after(ms: number, fn: () => void): () => void {
    assertDelay('after', ms)
    const timer: QueuedTimer = { at: this.#now + ms, seq: this.#seq++, cancelled: false, fire: fn }
    this.#timers.push(timer)
    return () => this.#timers.cancel(timer)
  }

  /** Moves time forward by `ms`, firing every sleep that falls due on the way. */
  advance(ms: number): Promise<void> {
    assertDelay('advance', ms)
    // Overlapping calls queue up, so time only ever moves forward in one sequence.
    const run = this.#advancing.then(() => this.#advanceTo(this.#now + ms))
    this.#advancing = run.catch(() => undefined)
    return run
  }

  async #advanceTo(target: number): Promise<void> {
    await settle()
    for (let timer = this.#timers.popDue(target); timer; timer = this.#timers.popDue(target)) {
      this.#now = timer.at
      timer.fire()
      await settle()
    }
    this.#now = target
  }
}
