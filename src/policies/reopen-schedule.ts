import { systemClock, type Clock } from '../time/index.js'

interface Entry {
  readonly at: number
  readonly seq: number
  readonly fire: () => void
}

// setTimeout turns longer delays into 1 ms; a longer wait is armed in steps.
const maxTimerDelay = 2 ** 31 - 1

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * When each open circuit is due to half-open, for one clock: a min-heap by time with a single
 * timer armed for the earliest, so a thousand open circuits cost one timer, not a thousand.
 */
class ReopenSchedule {
  readonly #clock: Clock
  #heap: Entry[] = []
  #seq = 0
  #armedAt = Infinity
  #cancel: (() => void) | undefined

  constructor(clock: Clock) {
    this.#clock = clock
  }

  add(at: number, fire: () => void): void {
    this.#push({ at, seq: this.#seq++, fire })
    if (at < this.#armedAt) this.#arm()
  }

  #arm(): void {
    this.#cancel?.()
    this.#cancel = undefined
    const top = this.#heap[0]
    this.#armedAt = top?.at ?? Infinity
    if (!top) return
    const ms = Math.max(0, top.at - this.#clock.now())
    this.#cancel =
      this.#clock === systemClock ? unrefTimer(ms, this.#run) : this.#clock.after(ms, this.#run)
  }

  #run = (): void => {
    this.#cancel = undefined
    this.#armedAt = Infinity
    // A timer may fire a little early (or a capped one long early): only what is due fires.
    for (let top = this.#heap[0]; top && top.at <= this.#clock.now(); top = this.#heap[0]) {
      this.#pop()
      top.fire()
    }
    this.#arm()
  }

  #push(entry: Entry): void {
    const heap = this.#heap
    let i = heap.push(entry) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as Entry
      if (!before(entry, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = entry
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop() as Entry
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= heap.length) break
      const right = child + 1
      if (right < heap.length && before(heap[right] as Entry, heap[child] as Entry)) child = right
      if (!before(heap[child] as Entry, last)) break
      heap[i] = heap[child] as Entry
      i = child
    }
    heap[i] = last
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
