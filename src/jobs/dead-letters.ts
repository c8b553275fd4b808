import { randomUUID } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import type { DeadReason, JobFilter, JobRecord, Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'

export interface DeadLetterFilter {
  name?: string
  reason?: DeadReason
  /** The last error's name or code, e.g. `HttpStatusError` or `SEAM_ERR_HTTP_STATUS`. */
  error?: string
  key?: string
  /** Died at or after. */
  since?: Date | number
  /** Died before. */
  until?: Date | number
}

export interface ReplayOptions {
  /**
   * Give the job a fresh idempotency key. By default a replay keeps it, so a provider that
   * already applied an effect of the job answers with that effect instead of repeating it.
   */
  renewIdempotencyKey?: boolean
}

export interface BulkReplayOptions extends ReplayOptions {
  /** Count what would be replayed, and replay nothing. */
  dryRun?: boolean
  /** Replay at most this many jobs a second, so a replay does not become a storm. Default 100. */
  perSecond?: number
  /** Replay at most this many in all. */
  limit?: number
  onProgress?: (progress: { matched: number; replayed: number; skipped: number }) => void
}

export interface BulkResult {
  /** Dead letters the filter matched when the operation began. */
  matched: number
  replayed: number
  /** Left dead: their key is held by a newer job of the same name. */
  skipped: number
}

export interface DeadLetters {
  list(filter?: DeadLetterFilter & { limit?: number; afterId?: string }): Promise<JobRecord[]>
  count(filter?: DeadLetterFilter): Promise<number>
  /** The dead letter, with payload, last error and history; throws `SEAM_ERR_JOB_NOT_FOUND`. */
  get(id: string): Promise<JobRecord>
  /** Makes one dead letter due now, optionally with an edited payload. */
  replay(id: string, options?: ReplayOptions & { payload?: unknown }): Promise<void>
  replayMany(filter: DeadLetterFilter, options?: BulkReplayOptions): Promise<BulkResult>
  discard(id: string): Promise<void>
  discardMany(
    filter: DeadLetterFilter,
    options?: { dryRun?: boolean },
  ): Promise<{ matched: number; discarded: number }>
}

const time = (value: Date | number | undefined): number | undefined =>
  value instanceof Date ? value.getTime() : value

function storeFilter(filter: DeadLetterFilter): JobFilter {
  const since = time(filter.since)
  const until = time(filter.until)
  return {
    state: 'dead',
    ...(filter.name !== undefined && { name: filter.name }),
    ...(filter.reason !== undefined && { deadReason: filter.reason }),
    ...(filter.error !== undefined && { errorName: filter.error }),
    ...(filter.key !== undefined && { key: filter.key }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
  }
}

const notDead = (id: string): SeamlineError =>
  new SeamlineError('SEAM_ERR_JOB_NOT_FOUND', {
    operation: 'dead letter',
    target: `job ${id}`,
    reason: 'does not exist or is not a dead letter',
  })

export function deadLetters(store: Store, clock: Clock): DeadLetters {
  const replayIds = (ids: string[], options: ReplayOptions & { payload?: unknown }) =>
    store.jobs.replay(ids, {
      now: clock.now(),
      renewIdempotencyKey: options.renewIdempotencyKey ?? false,
      newIdempotencyKey: randomUUID,
      ...(options.payload !== undefined && { payload: options.payload }),
    })

  return {
    list: (filter = {}) =>
      store.jobs.list({
        ...storeFilter(filter),
        limit: filter.limit ?? 100,
        ...(filter.afterId !== undefined && { afterId: filter.afterId }),
      }),
    count: (filter = {}) => store.jobs.count(storeFilter(filter)),
    async get(id) {
      const job = await store.jobs.get(id)
      if (job?.state !== 'dead') throw notDead(id)
      return job
    },
    async replay(id, options = {}) {
      const replayed = await replayIds([id], options)
      if (replayed.length === 0) {
        const job = await store.jobs.get(id)
        if (job?.state !== 'dead') throw notDead(id)
        throw new SeamlineError('SEAM_ERR_JOB_CONFLICT', {
          operation: `replay ${job.name}`,
          target: `job ${id}`,
          reason: `was left dead: a newer job holds its key ${JSON.stringify(job.key)}`,
        })
      }
    },
    async replayMany(filter, options = {}) {
      const perSecond = options.perSecond ?? 100
      if (!(perSecond > 0)) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'replayMany',
          target: 'perSecond',
          reason: `must be > 0 (got ${String(perSecond)})`,
        })
      }
      const where = storeFilter(filter)
      const matched = await store.jobs.count(where)
      const result = { matched, replayed: 0, skipped: 0 }
      if (options.dryRun) return result
      const budget = Math.min(matched, options.limit ?? Infinity)
      const chunk = Math.max(1, Math.min(100, Math.floor(perSecond)))
      let afterId: string | undefined
      while (result.replayed + result.skipped < budget) {
        const started = clock.now()
        const take = Math.min(chunk, budget - result.replayed - result.skipped)
        const page = await store.jobs.list({
          ...where,
          limit: take,
          ...(afterId !== undefined && { afterId }),
        })
        if (page.length === 0) break
        afterId = page.at(-1)?.id
        const replayed = await replayIds(
          page.map((job) => job.id),
          options,
        )
        result.replayed += replayed.length
        result.skipped += page.length - replayed.length
        options.onProgress?.({ ...result })
        const paceMs = (page.length / perSecond) * 1_000 - (clock.now() - started)
        if (paceMs > 0 && result.replayed + result.skipped < budget) await clock.sleep(paceMs)
      }
      return result
    },
    async discard(id) {
      if ((await store.jobs.discard([id])) === 0) throw notDead(id)
    },
    async discardMany(filter, options = {}) {
      const where = storeFilter(filter)
      const matched = await store.jobs.count(where)
      if (options.dryRun) return { matched, discarded: 0 }
      let discarded = 0
      for (;;) {
        const page = await store.jobs.list({ ...where, limit: 500 })
        if (page.length === 0) break
        discarded += await store.jobs.discard(page.map((job) => job.id))
      }
      return { matched, discarded }
    },
  }
}
