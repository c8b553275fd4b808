import type { QuotaStore, QuotaStoreContext, Taken } from './quota-store.js'
import { SlidingLog } from './sliding-log.js'

/** Quotas kept in this process: exact sliding logs for windows, counters for concurrency. */
export function localQuotaStore({ quotas, clock }: QuotaStoreContext): QuotaStore {
  // A log per window quota; undefined marks a concurrency quota, counted in `held`.
  const logs = quotas.map((q) =>
    q.windowMs === undefined ? undefined : new SlidingLog(q.windowMs),
  )
  const held = quotas.map(() => 0)
  let pausedUntil = 0

  function take(costs: readonly number[], limits: readonly number[]): Taken {
    const now = clock.now()
    let worst: { waitMs: number; quota: string } = {
      waitMs: Math.max(0, pausedUntil - now),
      quota: 'pause',
    }
    for (let i = 0; i < quotas.length; i++) {
      const cost = costs[i] as number
      const limit = limits[i] as number
      const log = logs[i]
      // Concurrency frees on release, not with time: "until woken".
      const waitMs = log ? log.waitFor(cost, limit, now) : held[i]! + cost > limit ? Infinity : 0
      if (waitMs > worst.waitMs) worst = { waitMs, quota: quotas[i]!.name }
    }
    if (worst.waitMs > 0) return { ok: false, ...worst }
    const settle = logs.map((log, i) => log?.add(costs[i] as number, now))
    for (let i = 0; i < quotas.length; i++) if (!logs[i]) held[i]! += costs[i] as number
    return {
      ok: true,
      release(actual) {
        for (let i = 0; i < quotas.length; i++) {
          const units = actual?.[i]
          if (!logs[i]) held[i]! -= costs[i] as number
          else if (units !== undefined) settle[i]?.(units)
        }
      },
    }
  }

  return {
    shared: false,
    take,
    raise(index, units, resetMs) {
      const log = logs[index]
      const now = clock.now()
      const unseen = units - (log?.used(now) ?? Infinity)
      // Dated so that they leave the window when the provider restores them.
      const at = resetMs === undefined ? now : Math.min(now, now + resetMs - log!.windowMs)
      if (unseen > 0 && at > now - log!.windowMs) log!.add(unseen, at)
    },
    pause(forMs) {
      pausedUntil = Math.max(pausedUntil, clock.now() + forMs)
    },
    used() {
      const now = clock.now()
      return logs.map((log, i) => log?.used(now) ?? held[i]!)
    },
  }
}
