import { systemClock, TimerQueue, type Clock } from '../time/index.js'

// setTimeout turns longer delays into 1 ms; a longer wait is armed in steps.
const maxTimerDelay = 2 ** 31 - 1

/**
 * When each open circuit is due to half-open, for one clock: a timer queue with a single timer
 * armed for the earliest, so a thousand open circuits cost one timer, not a thousand.
 */
class ReopenSchedule {
  readonly #clock: Clock
  readonly #queue = new TimerQueue()
  #seq = 0
  #armedAt = Infinity
  #cancel: (() => void) | undefined

  constructor(clock: Clock) {
    this.#clock = clock
  }

  add(at: number, fire: () => void): void {
    this.#queue.push({ at, seq: this.#seq++, cancelled: false, fire })
    if (at < this.#armedAt) this.#arm()
  }

  #arm(): void {
    this.#cancel?.()
    this.#cancel = undefined
    const at = this.#queue.nextAt()
    this.#armedAt = at ?? Infinity
    if (at === undefined) return
    const ms = Math.max(0, at - this.#clock.now())
    this.#cancel =
      this.#clock === systemClock ? unrefTimer(ms, this.#run) : this.#clock.after(ms, this.#run)
  }

  #run = (): void => {
    this.#cancel = undefined
    this.#armedAt = Infinity
    // A timer may fire a little early (or a capped one long early): only what is due fires.
    const now = this.#clock.now()
    for (let due = this.#queue.popDue(now); due; due = this.#queue.popDue(now)) due.fire()
    this.#arm()
  }
}

// The real clock's timers hold the process open; waking a circuit is no reason to stay alive.
function unrefTimer(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, Math.min(ms, maxTimerDelay))
  timer.unref()
  return () => clearTimeout(timer)
}

const schedules = new WeakMap<Clock, ReopenSchedule>()

/** Calls `fire` at epoch time `at` on `clock`, sharing one timer with every other circuit on it. */
export function scheduleReopen(clock: Clock, at: number, fire: () => void): void {
  let schedule = schedules.get(clock)
  if (!schedule) schedules.set(clock, (schedule = new ReopenSchedule(clock)))
  schedule.add(at, fire)
}
