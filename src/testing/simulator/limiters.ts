import type { Clock } from '../../time/index.js'

/** `capacity` tokens refilled continuously at `perSecond`; Stripe limits requests this way. */
export class TokenBucket {
  #tokens: number
  #at: number

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.#tokens = capacity
    this.#at = clock.now()
  }

  #refill(): void {
    const now = this.clock.now()
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((now - this.#at) / 1_000) * this.perSecond,
    )
    this.#at = now
  }

  take(cost = 1): boolean {
    this.#refill()
    if (this.#tokens < cost) return false
    this.#tokens -= cost
    return true
  }
}

/** Requests in flight at once, up to `limit`. */
export class ConcurrencyLimit {
  #inFlight = 0
  constructor(readonly limit: number) {}

  /** A release function, or undefined when the limit is reached. */
  acquire(): (() => void) | undefined {
    if (this.#inFlight >= this.limit) return undefined
    this.#inFlight++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#inFlight--
    }
  }
}
