/** A pending `FakeClock` sleep. */
export interface FakeTimer {
  readonly at: number
  readonly seq: number
  /** Set once it is no longer pending: cancelled, or taken to fire. */
  cancelled: boolean
  fire(): void
}

const before = (a: FakeTimer, b: FakeTimer): boolean =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A binary min-heap of timers ordered by due time, then by creation (ties fire first-in first-out).
 * Cancelled timers are dropped lazily, and swept out when they come to outnumber the live ones.
 */
export class TimerQueue {
  #heap: FakeTimer[] = []
  #live = 0

  get size(): number {
    return this.#live
  }

  push(timer: FakeTimer): void {
    this.#live++
    this.#heap.push(timer)
    this.#up(this.#heap.length - 1)
  }

  cancel(timer: FakeTimer): void {
    if (timer.cancelled) return
    timer.cancelled = true
    this.#live--
    if (this.#heap.length > 1024 && this.#heap.length > 2 * this.#live) this.#sweep()
  }

  /** Removes and returns the earliest live timer due at or before `time`. */
  popDue(time: number): FakeTimer | undefined {
    for (;;) {
      const top = this.#heap[0]
      if (top === undefined || (!top.cancelled && top.at > time)) return undefined
      const last = this.#heap.pop() as FakeTimer
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
    const item = heap[i] as FakeTimer
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as FakeTimer
      if (!before(item, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = item
  }

  #down(i: number): void {
    const heap = this.#heap
    const item = heap[i] as FakeTimer
    for (;;) {
      let child = 2 * i + 1
      if (child >= heap.length) break
      const right = child + 1
      if (right < heap.length && before(heap[right] as FakeTimer, heap[child] as FakeTimer)) {
        child = right
      }
      if (!before(heap[child] as FakeTimer, item)) break
      heap[i] = heap[child] as FakeTimer
      i = child
    }
    heap[i] = item
  }
}
