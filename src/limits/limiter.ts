import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Events } from '../events/index.js'
import { RateLimitedError } from '../policies/index.js'
import { systemClock, watchAbort, type Clock } from '../time/index.js'
import { SlidingLog } from './sliding-log.js'

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
  /** Names the limiter in errors and events. */
  name?: string
}

export interface AcquireOptions {
  /** Units per quota name; quotas not named cost 1 (window) or 1 (concurrency). */
  cost?: Readonly<Record<string, number>>
  signal?: AbortSignal
  /** Fail at once with RateLimitedError, instead of waiting, when the wait is known to be longer. */
  maxWaitMs?: number
}

/** Held while a call runs. */
export interface Permit {
  /** Reports what the call really cost (e.g. tokens used) and gives back concurrency units. */
  release(actual?: Readonly<Record<string, number>>): void
}

export type LimiterEvents = {
  'limit:wait': { name: string; waitMs: number; quota: string }
  'limit:pause': { name: string; untilMs: number; reason: string }
  'limit:rate': { name: string; quota: string; limit: number; reason: string }
}

interface Waiter {
  cost: Readonly<Record<string, number>>
  grant: (permit: Permit) => void
}

interface WindowQuota {
  spec: QuotaSpec
  log: SlidingLog
}

// Cancels a pending wake-up; a shared reason spares a DOMException per re-arm.
const rearmed = Object.freeze(new Error('limiter wake-up re-armed'))

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'limiter', target, reason })
}

/**
 * Admits calls against every quota at once (Xero's 60/min + 5,000/day + 5 in flight, say):
 * a call goes when all of its quotas have room, and consumes all of them together. Waiting
 * calls are served first in, first out; an aborted one leaves the queue at once.
 */
export function createLimiter(options: LimiterOptions) {
  const clock = options.clock ?? systemClock
  const name = options.name ?? 'limiter'
  const events = createEmitter<LimiterEvents>()
  const windows: WindowQuota[] = []
  const concurrency = new Map<string, { spec: QuotaSpec; held: number }>()
  for (const spec of options.quotas) {
    if (!(spec.limit > 0 && Number.isFinite(spec.limit)))
      throw invalid(`quotas.${spec.name}.limit`, `must be a positive number (got ${spec.limit})`)
    if (spec.windowMs === undefined) concurrency.set(spec.name, { spec, held: 0 })
    else if (!(spec.windowMs > 0 && Number.isFinite(spec.windowMs)))
      throw invalid(
        `quotas.${spec.name}.windowMs`,
        `must be a positive number (got ${spec.windowMs})`,
      )
    else windows.push({ spec, log: new SlidingLog(spec.limit, spec.windowMs) })
  }
  const configured = new Map(options.quotas.map((q) => [q.name, q.limit]))
  const queue: Waiter[] = []
  let pausedUntil = 0
  let wake: AbortController | undefined

  const costOf = (cost: Readonly<Record<string, number>>, quota: string): number => cost[quota] ?? 1

  // How long until `cost` fits everywhere (0: now), and which quota is the reason.
  function waitFor(cost: Readonly<Record<string, number>>): { ms: number; quota: string } {
    const now = clock.now()
    let worst = { ms: Math.max(0, pausedUntil - now), quota: 'pause' }
    for (const { spec, log } of windows) {
      const ms = log.waitFor(costOf(cost, spec.name), now)
      if (ms > worst.ms) worst = { ms, quota: spec.name }
    }
    for (const [quota, c] of concurrency) {
      // Concurrency frees on release, not with time: report it as "until woken".
      if (c.held + costOf(cost, quota) > c.spec.limit) return { ms: Infinity, quota }
    }
    return worst
  }

  function admit(cost: Readonly<Record<string, number>>): Permit {
    const now = clock.now()
    const settle = windows.map(
      ({ spec, log }) => [spec.name, log.add(costOf(cost, spec.name), now)] as const,
    )
    for (const [quota, c] of concurrency) c.held += costOf(cost, quota)
    let released = false
    return {
      release(actual) {
        if (released) return
        released = true
        for (const [quota, change] of settle)
          if (actual?.[quota] !== undefined) change(actual[quota])
        for (const [quota, c] of concurrency) c.held -= costOf(cost, quota)
        drain()
      },
    }
  }

  // Serves the queue from the front while the front fits; then sleeps until it might.
  function drain(): void {
    wake?.abort(rearmed)
    wake = undefined
    while (queue.length > 0) {
      const head = queue[0] as Waiter
      const { ms, quota } = waitFor(head.cost)
      if (ms > 0) {
        if (Number.isFinite(ms)) {
          events.emit('limit:wait', { name, waitMs: ms, quota })
          const timer = (wake = new AbortController())
          void clock.sleep(ms, timer.signal).then(drain, () => undefined)
        }
        return
      }
      queue.shift()
      head.grant(admit(head.cost))
    }
  }

  // AIMD: halve on a bare 429 (never below 1); add about one unit per window of clean calls.
  function adjust(window: WindowQuota, outcome: 'limited' | 'ok'): void {
    const cap = configured.get(window.spec.name) as number
    const before = window.log.limit
    const next =
      outcome === 'limited'
        ? Math.max(1, Math.floor(before / 2))
        : Math.min(cap, before + 1 / before)
    if (next === before) return
    window.log.limit = next
    if (Math.floor(next) !== Math.floor(before)) {
      events.emit('limit:rate', {
        name,
        quota: window.spec.name,
        limit: Math.floor(next),
        reason: outcome === 'limited' ? '429 without rate headers' : 'recovering',
      })
    }
  }

  function check(cost: Readonly<Record<string, number>>): void {
    for (const [quota, units] of Object.entries(cost)) {
      if (!(units >= 0 && Number.isFinite(units)))
        throw invalid(`cost.${quota}`, `must be a finite number >= 0 (got ${units})`)
      const limit = configured.get(quota)
      if (limit !== undefined && units > limit)
        throw invalid(
          `cost.${quota}`,
          `is ${units}, more than the quota's whole limit of ${limit}, so it could never be admitted`,
        )
    }
  }

  return {
    events: events as Events<LimiterEvents>,

    /** Waits until every quota has room for the call, then takes it. */
    acquire(acquireOptions: AcquireOptions = {}): Promise<Permit> {
      const cost = acquireOptions.cost ?? {}
      const signal = acquireOptions.signal
      return new Promise<Permit>((resolve, reject) => {
        check(cost) // a throw here rejects the promise
        signal?.throwIfAborted()
        if (queue.length === 0) {
          const { ms, quota } = waitFor(cost)
          if (ms === 0) {
            resolve(admit(cost))
            return
          }
          if (Number.isFinite(ms) && ms > (acquireOptions.maxWaitMs ?? Infinity)) {
            throw new RateLimitedError(ms, {
              operation: 'acquire',
              target: name,
              reason: `would wait ${Math.ceil(ms)} ms for quota ${quota}, more than the ${Math.floor(acquireOptions.maxWaitMs ?? Infinity)} ms allowed`,
            })
          }
        }
        const waiter: Waiter = {
          cost,
          grant: (permit) => {
            unwatch?.()
            cancelTimer?.()
            resolve(permit)
          },
        }
        // An abort reason is whatever the caller chose; it is passed on as it is.
        const leave = (reason: Error): void => {
          cancelTimer?.()
          unwatch?.()
          const at = queue.indexOf(waiter)
          if (at >= 0) queue.splice(at, 1)
          reject(reason)
          if (at === 0) drain() // the next in line may fit now
        }
        const unwatch = signal ? watchAbort(signal, () => leave(signal.reason as Error)) : undefined
        // Queued behind others, the wait was not known up front: give up when it runs past the limit.
        const maxWaitMs = acquireOptions.maxWaitMs ?? Infinity
        const cancelTimer = Number.isFinite(maxWaitMs)
          ? clock.after(maxWaitMs, () =>
              leave(
                new RateLimitedError(Math.max(1, waitFor(cost).ms), {
                  operation: 'acquire',
                  target: name,
                  reason: `waited its turn for ${Math.floor(maxWaitMs)} ms, as long as it may`,
                }),
              ),
            )
          : undefined
        queue.push(waiter)
        if (queue.length === 1) drain()
      })
    },

    /** Holds every call until `untilMs` from now: the provider asked for a pause (Retry-After on a 429). */
    pause(forMs: number, reason: string): void {
      const until = clock.now() + forMs
      if (until <= pausedUntil) return
      pausedUntil = until
      events.emit('limit:pause', { name, untilMs: forMs, reason })
      drain()
    },

    /**
     * Tightens a quota to what the provider reports (never above the configured limit), or
     * marks units it says are used that this process did not see (other processes, other apps).
     */
    observe(quota: string, seen: { limit?: number; remaining?: number }): void {
      const window = windows.find((w) => w.spec.name === quota)
      if (!window) return
      const cap = configured.get(quota) as number
      if (seen.limit !== undefined && seen.limit > 0 && seen.limit !== window.log.limit) {
        window.log.limit = Math.min(cap, seen.limit)
        events.emit('limit:rate', {
          name,
          quota,
          limit: window.log.limit,
          reason: 'provider reported its limit',
        })
      }
      if (seen.remaining !== undefined && seen.remaining >= 0) {
        const now = clock.now()
        const unseen = window.log.limit - seen.remaining - window.log.used(now)
        if (unseen > 0) window.log.add(unseen, now)
      }
      drain()
    },

    /** AIMD: a 429 with nothing to go on halves the rate; each clean window wins a unit back. */
    throttle(outcome: 'limited' | 'ok', quota?: string): void {
      for (const window of windows)
        if (quota === undefined || window.spec.name === quota) adjust(window, outcome)
      drain()
    },

    /** Units each window quota has used now, and each concurrency quota holds. */
    usage(): Record<string, { used: number; limit: number }> {
      const now = clock.now()
      return Object.fromEntries([
        ...windows.map(
          ({ spec, log }) =>
            [spec.name, { used: log.used(now), limit: Math.floor(log.limit) }] as const,
        ),
        ...[...concurrency].map(
          ([quota, c]) => [quota, { used: c.held, limit: c.spec.limit }] as const,
        ),
      ])
    },

    get waiting(): number {
      return queue.length
    },
  }
}

export type Limiter = ReturnType<typeof createLimiter>
