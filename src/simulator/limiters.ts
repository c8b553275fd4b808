import type { Clock } from '../time/index.js'

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

  /** Whole tokens available now. */
  get available(): number {
    this.#refill()
    return Math.floor(this.#tokens)
  }

  /** Milliseconds until the bucket is full again. */
  get msUntilFull(): number {
    this.#refill()
    return Math.ceil(((this.capacity - this.#tokens) / this.perSecond) * 1_000)
  }

  /** Milliseconds until `cost` tokens are available (0 when they are). */
  msUntil(cost: number): number {
    this.#refill()
    return Math.max(0, Math.ceil(((cost - this.#tokens) / this.perSecond) * 1_000))
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

/**
 * `limit` requests per window of `windowMs`; a window opens with the first request after the
 * previous one closed, as GitHub's hourly and Xero's per-minute and daily limits do.
 */
export class WindowCounter {
  #used = 0
  #resetAt = 0

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  #roll(): void {
    const now = this.clock.now()
    if (now >= this.#resetAt) {
      this.#used = 0
      this.#resetAt = now + this.windowMs
    }
  }

  /** Counts one request if the window has room. */
  take(cost = 1): boolean {
    this.#roll()
    if (this.#used + cost > this.limit) return false
    this.#used += cost
    return true
  }

  get used(): number {
    this.#roll()
    return this.#used
  }

  get remaining(): number {
    return this.limit - this.used
  }

  /** Epoch ms at which the current window closes. */
  get resetAt(): number {
    this.#roll()
    return this.#resetAt
  }
}

/** Fills by each request's cost and drains at `leakPerSecond`, holding at most `capacity` (Shopify). */
export class LeakyBucket {
  #level = 0
  #at: number

  constructor(
    readonly capacity: number,
    readonly leakPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.#at = clock.now()
  }

  get level(): number {
    const now = this.clock.now()
    this.#level = Math.max(0, this.#level - ((now - this.#at) / 1_000) * this.leakPerSecond)
    this.#at = now
    return this.#level
  }

  add(cost = 1): boolean {
    if (this.level + cost > this.capacity) return false
    this.#level += cost
    return true
  }
}
