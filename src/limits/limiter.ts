import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Events } from '../events/index.js'
import { RateLimitedError } from '../policies/index.js'
import { systemClock, watchAbort, type Clock } from '../time/index.js'
import { localQuotaStore } from './local-store.js'
import type { QuotaStoreFactory, Taken } from './quota-store.js'

/** One limit a provider documents: units per window, or units in flight at once. */
export interface QuotaSpec {
  /** `second`, `minute`, `day`, `concurrent`, `tokens`… (cost keys refer to it). */
  name: string
  limit: number
  /** The window; leave it out for a concurrency quota, whose units are held until released. */
  windowMs?: number
  /**
   * The name the provider's rate-limit headers give this window (`core` for GitHub's hourly
   * limit, `requests` and `tokens` for OpenAI's): what they report tunes this quota.
   */
  reportedAs?: string
}

export interface LimiterOptions {
  quotas: readonly QuotaSpec[]
  clock?: Clock
  /** Names the limiter in errors and events; a shared store keys its quotas by it. */
  name?: string
  /** Where the quotas' use is kept: in this process (default), or shared (`redisQuotaStore`). */
  store?: QuotaStoreFactory
  /** How often a call waiting on a shared store's full concurrency quota asks again. Default 25 ms. */
  pollMs?: number
}

export interface AcquireOptions {
  /** Units per quota name; quotas not named cost 1. */
  cost?: Readonly<Record<string, number>>
  signal?: AbortSignal
  /** Fail with RateLimitedError, instead of waiting, once the wait is known to be longer. */
  maxWaitMs?: number
}

/** Held while a call runs. */
export interface Permit {
  /** Reports what the call really cost (e.g. tokens used) and gives back concurrency units. */
  release(actual?: Readonly<Record<string, number>>): void
}

/** A window a response reported (see `parseRateLimitHeaders`). */
export interface ReportedWindow {
  name: string
  limit?: number
  remaining?: number
  /** Until the units used now are restored. */
  resetMs?: number
  windowMs?: number
}

export type LimiterEvents = {
  'limit:wait': { name: string; waitMs: number; quota: string }
  'limit:pause': { name: string; untilMs: number; reason: string }
  'limit:rate': { name: string; quota: string; limit: number; reason: string }
}

interface Waiter {
  costs: readonly number[]
  since: number
  /** The clock time past which it would rather fail than wait. */
  giveUpAt: number
  grant(taken: Extract<Taken, { ok: true }>): void
  leave(reason: Error): void
}

// Cancels a pending wake-up; a shared reason spares a DOMException per re-arm.
const rearmed = Object.freeze(new Error('limiter wake-up re-armed'))

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'limiter', target, reason })
}

function validate(quotas: readonly QuotaSpec[]): void {
  const names = new Set<string>()
  for (const spec of quotas) {
    if (names.has(spec.name)) throw invalid(`quotas.${spec.name}`, 'is named twice')
    names.add(spec.name)
    if (!(spec.limit > 0 && Number.isFinite(spec.limit)))
      throw invalid(`quotas.${spec.name}.limit`, `must be a positive number (got ${spec.limit})`)
    if (spec.windowMs !== undefined && !(spec.windowMs > 0 && Number.isFinite(spec.windowMs)))
      throw invalid(
        `quotas.${spec.name}.windowMs`,
        `must be a positive number (got ${spec.windowMs})`,
      )
  }
}

/**
 * Admits calls against every quota at once (Xero's 60/min + 5,000/day + 5 in flight, say):
 * a call goes when all of its quotas have room, and consumes all of them together. Waiting
 * calls are served first in, first out; an aborted one leaves the queue at once. Limits start
 * at the configured values and only ever tighten from there: to what the provider reports, or
 * halved on a bare 429 and won back on success (AIMD).
 */
export function createLimiter(options: LimiterOptions) {
  const clock = options.clock ?? systemClock
  const name = options.name ?? 'limiter'
  const pollMs = options.pollMs ?? 25
  const events = createEmitter<LimiterEvents>()
  const quotas = options.quotas
  validate(quotas)
  const store = (options.store ?? localQuotaStore)({ name, quotas, clock })
  const configured = quotas.map((q) => q.limit)
  // What the provider last reported (never above the configured limit), and the limit in
  // force now: below the ceiling, fractional, while AIMD wins units back after a bare 429.
  const ceilings = [...configured]
  const limits = [...configured]
  const queue: Waiter[] = []
  let wake: AbortController | undefined
  let taking = false // a shared store's answer is on its way
  let draining = false

  const waitedTooLong = (ms: number): RateLimitedError =>
    new RateLimitedError(1, {
      operation: 'acquire',
      target: name,
      reason: `waited its turn for ${Math.floor(ms)} ms, as long as it may`,
    })
  const costsOf = (cost: Readonly<Record<string, number>>): number[] =>
    quotas.map((q) => cost[q.name] ?? 1)
  const indexOf = (quota: string): number => quotas.findIndex((q) => q.name === quota)

  const permit = (taken: Extract<Taken, { ok: true }>): Permit => {
    let released = false
    return {
      release(actual) {
        if (released) return
        released = true
        taken.release(actual && quotas.map((q) => actual[q.name]))
        drain()
      },
    }
  }

  function sleepThenDrain(ms: number): void {
    const timer = (wake = new AbortController())
    void clock.sleep(ms, timer.signal).then(drain, () => undefined)
  }

  // Serves the head with the store's answer; false when the head must wait.
  function serve(head: Waiter, taken: Taken): boolean {
    if (queue[0] !== head) {
      // It left (aborted) while a shared store was answering: give every unit back.
      if (taken.ok) taken.release(head.costs.map(() => 0))
      return true
    }
    if (taken.ok) {
      queue.shift()
      head.grant(taken)
      return true
    }
    const { waitMs, quota } = taken
    if (Number.isFinite(waitMs)) {
      if (clock.now() + waitMs > head.giveUpAt) {
        head.leave(
          new RateLimitedError(waitMs, {
            operation: 'acquire',
            target: name,
            reason: `would wait ${Math.ceil(waitMs)} ms for quota ${quota}, more than the ${Math.floor(head.giveUpAt - clock.now())} ms allowed`,
          }),
        )
        return true
      }
      events.emit('limit:wait', { name, waitMs, quota })
      sleepThenDrain(waitMs)
    } else if (clock.now() >= head.giveUpAt) {
      head.leave(waitedTooLong(head.giveUpAt - head.since))
      return true
    } else if (store.shared) sleepThenDrain(pollMs) // another process may release
    return false
  }

  // Serves the queue from the front while the front fits; then sleeps until it might.
  function drain(): void {
    // An answer on its way drains again; a waiter leaving inside the loop needs no new loop.
    if (taking || draining) return
    draining = true
    try {
      serveQueue()
    } finally {
      draining = false
    }
  }

  function serveQueue(): void {
    wake?.abort(rearmed)
    wake = undefined
    while (queue.length > 0) {
      const head = queue[0] as Waiter
      const taken = store.take(head.costs, limits)
      if (taken instanceof Promise) {
        taking = true
        taken.then(
          (answer) => {
            taking = false
            if (serve(head, answer)) drain()
          },
          (error: unknown) => {
            taking = false
            if (queue[0] === head) head.leave(error as Error)
            drain()
          },
        )
        return
      }
      if (!serve(head, taken)) return
    }
  }

  function setLimit(i: number, limit: number, reason: string): void {
    const before = limits[i] as number
    limits[i] = limit
    if (Math.floor(limit) !== Math.floor(before))
      events.emit('limit:rate', { name, quota: quotas[i]!.name, limit: Math.floor(limit), reason })
  }

  function check(cost: Readonly<Record<string, number>>): void {
    for (const [quota, units] of Object.entries(cost)) {
      if (!(units >= 0 && Number.isFinite(units)))
        throw invalid(`cost.${quota}`, `must be a finite number >= 0 (got ${units})`)
      const limit = configured[indexOf(quota)]
      if (limit !== undefined && units > limit)
        throw invalid(
          `cost.${quota}`,
          `is ${units}, more than the quota's whole limit of ${limit}, so it could never be admitted`,
        )
    }
  }

  const limiter = {
    events: events as Events<LimiterEvents>,

    /** Waits until every quota has room for the call, then takes it. */
    acquire(acquireOptions: AcquireOptions = {}): Promise<Permit> {
      const cost = acquireOptions.cost ?? {}
      const signal = acquireOptions.signal
      const maxWaitMs = acquireOptions.maxWaitMs ?? Infinity
      return new Promise<Permit>((resolve, reject) => {
        check(cost) // a throw here rejects the promise
        signal?.throwIfAborted()
        const costs = costsOf(cost)
        if (queue.length === 0 && !store.shared) {
          // The common case, without a waiter: an in-process store that has room now.
          const taken = store.take(costs, limits) as Taken
          if (taken.ok) return resolve(permit(taken))
          if (Number.isFinite(taken.waitMs) && taken.waitMs > maxWaitMs)
            throw new RateLimitedError(taken.waitMs, {
              operation: 'acquire',
              target: name,
              reason: `would wait ${Math.ceil(taken.waitMs)} ms for quota ${taken.quota}, more than the ${Math.floor(maxWaitMs)} ms allowed`,
            })
        }
        const waiter: Waiter = {
          costs,
          since: clock.now(),
          giveUpAt: clock.now() + maxWaitMs,
          grant: (taken) => {
            unwatch?.()
            cancelTimer?.()
            resolve(permit(taken))
          },
          // An abort reason is whatever the caller chose; it is passed on as it is.
          leave: (reason) => {
            cancelTimer?.()
            unwatch?.()
            const at = queue.indexOf(waiter)
            if (at >= 0) queue.splice(at, 1)
            reject(reason)
            if (at === 0) drain() // the next in line may fit now
          },
        }
        const unwatch = signal
          ? watchAbort(signal, () => waiter.leave(signal.reason as Error))
          : undefined
        // Behind others its wait is not known up front: give up when it runs past the limit
        // (unless a shared store is answering for it, which tells more).
        const cancelTimer = Number.isFinite(maxWaitMs)
          ? clock.after(maxWaitMs, () => {
              if (!(taking && queue[0] === waiter)) waiter.leave(waitedTooLong(maxWaitMs))
            })
          : undefined
        queue.push(waiter)
        if (queue.length === 1) drain()
      })
    },

    /** Holds every call for `forMs`: the provider asked for a pause (Retry-After on a 429). */
    pause(forMs: number, reason: string): void {
      store.pause(forMs)
      events.emit('limit:pause', { name, untilMs: forMs, reason })
      drain()
    },

    /**
     * Tightens a quota to what the provider reports (never above the configured limit), and
     * counts units it says are used that this limiter did not see (other processes, other apps).
     */
    observe(quota: string, seen: { limit?: number; remaining?: number; resetMs?: number }): void {
      const i = indexOf(quota)
      if (i < 0 || quotas[i]!.windowMs === undefined) return
      if (seen.limit !== undefined && seen.limit > 0) {
        ceilings[i] = Math.min(configured[i] as number, seen.limit)
        if (ceilings[i] !== limits[i]) setLimit(i, ceilings[i], 'provider reported its limit')
      }
      if (seen.remaining !== undefined && seen.remaining >= 0)
        store.raise(i, (limits[i] as number) - seen.remaining, seen.resetMs)
      drain()
    },

    /**
     * Feeds what a response reported into the quotas it describes: a window tunes the quota
     * whose `reportedAs` (else its name) is the window's name, or else whose window is as long.
     */
    learn(windows: readonly ReportedWindow[]): void {
      for (const seen of windows) {
        const quota = limiter.quotaFor(seen)
        if (quota)
          limiter.observe(quota, {
            ...(seen.limit === undefined ? {} : { limit: seen.limit }),
            ...(seen.remaining === undefined ? {} : { remaining: seen.remaining }),
            ...(seen.resetMs === undefined ? {} : { resetMs: seen.resetMs }),
          })
      }
    },

    /** The quota a reported window describes: by `reportedAs` (else name), or window length. */
    quotaFor(seen: ReportedWindow): string | undefined {
      return (
        quotas.find((q) => (q.reportedAs ?? q.name) === seen.name) ??
        quotas.find((q) => q.windowMs !== undefined && q.windowMs === seen.windowMs)
      )?.name
    },

    /** AIMD: a 429 with nothing to go on halves the rate; each clean window wins a unit back. */
    throttle(outcome: 'limited' | 'ok', quota?: string): void {
      for (let i = 0; i < quotas.length; i++) {
        if (quotas[i]!.windowMs === undefined || (quota !== undefined && quotas[i]!.name !== quota))
          continue
        const before = limits[i] as number
        if (outcome === 'limited')
          setLimit(i, Math.max(1, Math.floor(before / 2)), '429 without rate headers')
        else if (before < (ceilings[i] as number))
          setLimit(i, Math.min(ceilings[i] as number, before + 1 / before), 'recovering')
      }
      drain()
    },

    /** Units each quota has used now (window) or holds (concurrency), and its limit in force. */
    async usage(): Promise<Record<string, { used: number; limit: number }>> {
      const used = await store.used()
      return Object.fromEntries(
        quotas.map((q, i) => [q.name, { used: used[i] as number, limit: Math.floor(limits[i]!) }]),
      )
    },

    get waiting(): number {
      return queue.length
    },
  }
  return limiter
}

export type Limiter = ReturnType<typeof createLimiter>
