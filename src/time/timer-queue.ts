/** A timer waiting in a `TimerQueue` (a `FakeClock` sleep, a circuit due to half-open). */
export interface QueuedTimer {
  readonly at: number
  readonly seq: number
  /** Set once it is no longer pending: cancelled, or taken to fire. */
  cancelled: boolean
  fire(): void
}

const before = (a: QueuedTimer, b: QueuedTimer): boolean =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A binary min-heap of timers ordered by due time, then by creation (ties fire first-in first-out).
 * Cancelled timers are dropped lazily, and swept out when they come to outnumber the live ones.
 */
export class TimerQueue {
  #heap: QueuedTimer[] = []
  #live = 0

  get size(): number {
    return this.#live
  }

  push(timer: QueuedTimer): void {
    this.#live++
    this.#heap.push(timer)
    this.#up(this.#heap.length - 1)
  }

  cancel(timer: QueuedTimer): void {
    if (timer.cancelled) return
    timer.cancelled = true
    this.#live--
    if (this.#heap.length > 1024 && this.#heap.length > 2 * this.#live) this.#sweep()
  }

  /** When the earliest live timer is due, if any. */
  nextAt(): number | undefined {
    while (this.#heap[0]?.cancelled) this.popDue(-Infinity)
    return this.#heap[0]?.at
  }

  /** Removes and returns the earliest live timer due at or before `time`. */
  popDue(time: number): QueuedTimer | undefined {
    for (;;) {
      const top = this.#heap[0]
      if (top === undefined || (!top.cancelled && top.at > time)) return undefined
      const last = this.#heap.pop() as QueuedTimer
      if (this.#heap.length > 0 && last !== top) {
        this.#heap[0] = last
        this.#down(0)
      }
      if (!top.cancelled) {
        // No longer pending: cancelling it after it fired must not count it twice.
        top.cancelled = true
        this.#live--
        return top
      }
    }
  }

  #sweep(): void {
    const kept = this.#heap.filter((t) => !t.cancelled)
    this.#heap = []
    for (const t of kept) {
      this.#heap.push(t)
      this.#up(this.#heap.length - 1)
    }
  }

  #up(i: number): void {
    const heap = this.#heap
    const item = heap[i] as QueuedTimer
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as QueuedTimer
      if (!before(item, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = item
  }

  #down(i: number): void {
    const heap = this.#heap
    const item = heap[i] as QueuedTimer
    for (;;) {
      let child = 2 * i + 1
      if (child >= heap.length) break
      const right = child + 1
      if (right < heap.length && before(heap[right] as QueuedTimer, heap[child] as QueuedTimer)) {
        child = right
      }
      if (!before(heap[child] as QueuedTimer, item)) break
      heap[i] = heap[child] as QueuedTimer
      i = child
    }
    heap[i] = item
  }
}
