interface Entry {
  at: number
  cost: number
  /** Still inside the window, so its cost counts. */
  live: boolean
}

/**
 * At most `limit` units per any `windowMs`: every admission is logged with its time and cost
 * until it leaves the window. Bursts are allowed while the window has room, and no stretch of
 * `windowMs` ever holds more than `limit`, whatever algorithm the provider itself uses.
 */
export class SlidingLog {
  #entries: Entry[] = []
  #head = 0
  #used = 0

  constructor(readonly windowMs: number) {}

  #expire(now: number): void {
    const entries = this.#entries
    while (
      this.#head < entries.length &&
      (entries[this.#head] as Entry).at <= now - this.windowMs
    ) {
      const entry = entries[this.#head] as Entry
      this.#used -= entry.cost
      entry.live = false
      this.#head++
    }
    // Compact once the dead prefix dominates, so memory stays proportional to the window.
    if (this.#head > 1_024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head)
      this.#head = 0
    }
  }

  used(now: number): number {
    this.#expire(now)
    return this.#used
  }

  /** Milliseconds until `cost` more units fit under `limit` (0: now). */
  waitFor(cost: number, limit: number, now: number): number {
    this.#expire(now)
    // A call larger than a tightened limit goes alone, once the window is otherwise empty.
    limit = Math.max(limit, cost)
    let excess = this.#used + cost - limit
    if (excess <= 0) return 0
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as Entry
      excess -= entry.cost
      if (excess <= 0) return entry.at + this.windowMs - now
    }
    return Infinity
  }

  /**
   * Logs an admission at `at` (inside the window); the returned function changes its cost once
   * the real cost is known.
   */
  add(cost: number, at: number): (actual: number) => void {
    const entry: Entry = { at, cost, live: true }
    const entries = this.#entries
    // Admissions come in time order; units the provider reports may be dated earlier.
    let i = entries.length
    while (i > this.#head && (entries[i - 1] as Entry).at > at) i--
    if (i === entries.length) entries.push(entry)
    else entries.splice(i, 0, entry)
    this.#used += cost
    return (actual) => {
      if (entry.live) this.#used += actual - entry.cost
      entry.cost = actual
    }
  }
}
