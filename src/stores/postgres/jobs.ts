import type pg from 'pg'
import { lostLeaseError } from '../job-row.js'
import type { JobFilter, JobStore, NewJob, ReplayOptions } from '../job-types.js'
import { historyLimit, jobEvent } from '../job-rules.js'
import { beginClaim, claimOn, settleAndClaimOn, settleOn, toRecord } from './cycle.js'
import { enqueueOn } from './enqueue.js'
import { changes, readStatements, rows, type Queryable } from './statements.js'
import { inTransaction, pgTransaction } from './transaction.js'

const s = readStatements(
  new URL('./jobs.sql', import.meta.url),
  [
    'heartbeat',
    'rescue',
    'nextRunAt',
    'get',
    'list',
    'count',
    'replay',
    'discard',
    'takeSlot',
    'fillSlot',
    'counts',
    'prune',
  ],
  'seamline_jobs',
)

/** How the job store tells listeners, here and in other processes, that jobs were enqueued. */
export interface EnqueueSignals {
  /** Jobs of these names were committed by this store. */
  committed(names: readonly string[]): void
  /** Jobs of these names were written in a caller's transaction: heard once it commits. */
  inTransaction(db: Queryable, names: readonly string[]): Promise<void>
}

/** Job ids are bigints; anything else names no job. */
const isJobId = (id: string): boolean => /^[1-9]\d{0,17}$/.test(id)

const namesOf = (jobs: readonly NewJob[]): string[] => [...new Set(jobs.map((job) => job.name))]

function filterParams(filter: JobFilter): Record<string, unknown> {
  return {
    state: filter.state ?? null,
    name: filter.name ?? null,
    deadReason: filter.deadReason ?? null,
    errorName: filter.errorName ?? null,
    key: filter.key ?? null,
    since: filter.since ?? null,
    until: filter.until ?? null,
    afterId: filter.afterId === undefined ? null : filter.afterId,
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505'
}

/** The job store on a pool: each call is one statement, or one transaction of a few. */
export function postgresJobStore(
  pool: pg.Pool,
  newKey: () => string,
  signals: EnqueueSignals,
): JobStore {
  // A batch without keys cannot conflict: its one statement is atomic without a transaction.
  const enqueue = (jobs: readonly NewJob[], now: number) =>
    jobs.some((job) => job.key !== undefined)
      ? inTransaction(pool, (client) => enqueueOn(client, jobs, now, newKey))
      : enqueueOn(pool, jobs, now, newKey)

  const replayOn = async (db: Queryable, ids: readonly string[], options: ReplayOptions) => {
    const replayed = await rows(db, s.replay, {
      ids,
      idempotencyKeys: ids.map(() =>
        options.renewIdempotencyKey ? options.newIdempotencyKey() : null,
      ),
      now: options.now,
      historyLimit,
      payload: options.payload === undefined ? null : JSON.stringify(options.payload),
      event: jobEvent(options.now, 'replayed', undefined, options.now),
    })
    return replayed.map((row) => String(row.id))
  }

  return {
    async enqueue(jobs, now) {
      if (jobs.length === 0) return []
      const results = await enqueue(jobs, now)
      signals.committed(namesOf(jobs))
      return results
    },
    enqueueInTx(tx, jobs, now) {
      const client = pgTransaction(tx, 'enqueueInTx')
      return (async () => {
        if (jobs.length === 0) return []
        const results = await enqueueOn(client, jobs, now, newKey)
        await signals.inTransaction(client, namesOf(jobs))
        return results
      })()
    },
    // Two cycles side by side: one claims while the jobs of the other run and settle.
    cycles: 2,
    async cycle({ now, settle, claim }) {
      if (!claim || claim.limit <= 0) {
        return { settled: await settleOn(pool, settle, now), claimed: [] }
      }
      const { settled, claimed, grouped } = await settleAndClaimOn(pool, settle, claim, now)
      if (!grouped) return { settled, claimed }
      // Grouped jobs are due: their groups are locked before a later statement claims.
      return {
        settled,
        claimed: await inTransaction(pool, (client) => claimOn(client, claim, now), beginClaim),
      }
    },
    completeInTx(tx, completion, now) {
      const client = pgTransaction(tx, 'completeInTx')
      return settleOn(client, [{ ...completion, kind: 'completed' }], now).then(
        ([done]) => done === true,
      )
    },
    heartbeat: (owner, now, leaseMs) =>
      changes(pool, s.heartbeat, { owner, leaseUntil: now + leaseMs }),
    async rescue({ now, baseMs, capMs }) {
      const error = JSON.stringify(lostLeaseError)
      const rescued = (await rows(pool, s.rescue, { now, baseMs, capMs, historyLimit, error })).map(
        toRecord,
      )
      return {
        requeued: rescued.filter((job) => job.state === 'pending'),
        dead: rescued.filter((job) => job.state === 'dead'),
      }
    },
    async nextRunAt(names) {
      const [row] = await rows(pool, s.nextRunAt, { names: [...names] })
      return row?.at === null || row?.at === undefined ? null : Number(row.at)
    },
    async get(id) {
      if (!isJobId(id)) return undefined
      const [row] = await rows(pool, s.get, { id })
      return row === undefined ? undefined : toRecord(row)
    },
    async list(filter) {
      if (filter.afterId !== undefined && !isJobId(filter.afterId)) return []
      const found = await rows(pool, s.list, {
        ...filterParams(filter),
        limit: filter.limit ?? 100,
      })
      return found.map(toRecord)
    },
    async count(filter) {
      if (filter.afterId !== undefined && !isJobId(filter.afterId)) return 0
      const [row] = await rows(pool, s.count, filterParams(filter))
      return Number(row?.n ?? 0)
    },
    async replay(ids, options) {
      const wanted = [...new Set(ids.filter(isJobId))]
      if (wanted.length === 0) return []
      let replayed: string[]
      try {
        replayed = await replayOn(pool, wanted, options)
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
        // Two of them share a key, or a job took one meanwhile: one by one, so only those stay dead.
        replayed = []
        for (const id of wanted) {
          try {
            replayed.push(...(await replayOn(pool, [id], options)))
          } catch (oneError) {
            if (!isUniqueViolation(oneError)) throw oneError
          }
        }
      }
      if (replayed.length > 0) signals.committed(['*'])
      const done = new Set(replayed)
      return wanted.filter((id) => done.has(id))
    },
    discard: (ids) => changes(pool, s.discard, { ids: ids.filter(isJobId) }),
    async enqueueSlot(schedule, slotAt, job, now) {
      const fired = await inTransaction(pool, async (client) => {
        if ((await changes(client, s.takeSlot, { schedule, slotAt })) === 0) return false
        const [result] = await enqueueOn(client, [job], now, newKey)
        await changes(client, s.fillSlot, { schedule, slotAt, jobId: result?.id ?? null })
        return true
      })
      if (fired) signals.committed([job.name])
      return fired
    },
    async counts(names, now) {
      const [row] = await rows(pool, s.counts, { now, names: names === null ? null : [...names] })
      return {
        ready: Number(row?.ready ?? 0),
        scheduled: Number(row?.scheduled ?? 0),
        running: Number(row?.running ?? 0),
        dead: Number(row?.dead ?? 0),
        oldestReadyAt:
          row?.oldest_ready_at === null || row?.oldest_ready_at === undefined
            ? null
            : Number(row.oldest_ready_at),
      }
    },
    prune: (before) => changes(pool, s.prune, { before }),
  }
}
