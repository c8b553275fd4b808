import type { Clock } from '../time/index.js'
import type { QuotaSpec } from './limiter.js'

/** The answer to "may this call go now?", for every quota at once. */
export type Taken =
  | {
      ok: true
      /** Gives back concurrency units and settles window costs at what the call really used. */
      release(actual?: readonly (number | undefined)[]): void
    }
  | {
      ok: false
      /** Until the call might fit; Infinity when it waits on a release (or cannot know). */
      waitMs: number
      /** The quota that is full (its name), or `pause`. */
      quota: string
    }

/**
 * Where a limiter keeps what its quotas have used. Quotas are addressed by their index in the
 * limiter's `quotas`; costs and limits come per quota in that order. `limits` are the limits in
 * force now (the configured ones, tightened by what the provider reported).
 */
export interface QuotaStore {
  /** Takes `costs` from every quota at once when all have room; never takes from some only. */
  take(costs: readonly number[], limits: readonly number[]): Taken | Promise<Taken>
  /**
   * Raises a window's use to at least `units`: what the provider says was used elsewhere. The
   * units added leave the window after `resetMs` when the provider said when it resets, else
   * after a whole window.
   */
  raise(index: number, units: number, resetMs?: number): void
  /** Holds every call for `forMs` (a provider's Retry-After), for every limiter sharing the store. */
  pause(forMs: number): void
  /** Units each quota holds now. */
  used(): readonly number[] | Promise<readonly number[]>
  /**
   * True when other processes take from the same quotas: a full concurrency quota is then
   * polled, since their releases cannot wake this process.
   */
  readonly shared: boolean
}

export interface QuotaStoreContext {
  /** The limiter's name: a shared store keys its quotas by it. */
  name: string
  quotas: readonly QuotaSpec[]
  clock: Clock
}

/** Makes the store of one limiter. `createLimiter({ store })` takes one; default in-process. */
export type QuotaStoreFactory = (context: QuotaStoreContext) => QuotaStore
