import type { Statement } from 'better-sqlite3'
import { jobFromRow, lostLeaseError, type JobRow } from '../job-row.js'
import type {
  EnqueueResult,
  JobFilter,
  JobOutcome,
  JobRecord,
  JobStore,
  NewJob,
} from '../job-types.js'
import { claimScan, historyLimit, inClaimOrder, jobConflict, jobEvent } from '../job-rules.js'
import { readQueries } from '../sql-files.js'
import { sqliteTransaction } from './caller-transaction.js'
import { lazyStatements, type SqliteDatabase } from './connection.js'

const names = [
  'insert',
  'insertUnkeyed',
  'holder',
  'replace',
  'claim',
  'groupsPending',
  'complete',
  'fail',
  'remove',
  'kill',
  'requeue',
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
] as const
type Name = (typeof names)[number]
const sql = readQueries(new URL('./jobs.sql', import.meta.url), names)

// Statements are prepared once per connection: the store's own, or a caller's (a transaction).
const prepared = new WeakMap<SqliteDatabase, Record<Name, Statement>>()
function statements(db: SqliteDatabase): Record<Name, Statement> {
  let set = prepared.get(db)
  if (!set) prepared.set(db, (set = lazyStatements(db, sql)))
  return set
}

const parse = (value: unknown): unknown => JSON.parse(value as string)
const toRecord = (row: unknown): JobRecord => jobFromRow(row as JobRow, parse)
const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value))

function insertParams(job: NewJob, now: number, idempotencyKey: string): Record<string, unknown> {
  return {
    name: job.name,
    payload: JSON.stringify(job.payload),
    priority: job.priority,
    runAt: job.runAt,
    now,
    maxAttempts: job.maxAttempts,
    maxRescues: job.maxRescues,
    key: job.key ?? null,
    orderKey: job.orderKey ?? null,
    groupKey: job.groupKey ?? null,
    groupLimit: job.groupLimit ?? null,
    backoff: json(job.backoff),
    idempotencyKey,
  }
}

/** Inserts jobs through `db` at once; the caller provides the transaction. */
export function enqueueOn(
  db: SqliteDatabase,
  jobs: readonly NewJob[],
  now: number,
  newKey: () => string,
): EnqueueResult[] {
  const s = statements(db)
  return jobs.map((job) => {
    const params = insertParams(job, now, job.idempotencyKey ?? newKey())
    if (job.key === undefined) {
      return { id: String(s.insertUnkeyed.run(params).lastInsertRowid), outcome: 'inserted' }
    }
    const row = s.insert.get(params) as { id: number } | undefined
    if (row) return { id: String(row.id), outcome: 'inserted' }
    const holder = s.holder.get({ name: job.name, key: job.key ?? null }) as
      { id: number; state: string } | undefined
    if (!holder) throw new Error(`job ${job.name} was not inserted and no job holds its key`)
    const id = String(holder.id)
    const mode = job.unique ?? 'keep-earliest'
    if (mode === 'keep-earliest') return { id, outcome: 'kept' }
    if (mode === 'replace' && holder.state === 'pending') {
      s.replace.run({ ...params, id: holder.id })
      return { id, outcome: 'replaced' }
    }
    throw jobConflict(job, id, holder.state)
  })
}

function settle(s: Record<Name, Statement>, outcome: JobOutcome, now: number): boolean {
  const lease = { id: outcome.id, delivery: outcome.delivery, now, historyLimit }
  switch (outcome.kind) {
    case 'completed':
      return (outcome.remove ? s.remove : s.complete).run(lease).changes === 1
    case 'failed':
      return (
        s.fail.run({
          ...lease,
          runAt: outcome.runAt,
          error: JSON.stringify(outcome.error),
          event: jobEvent(now, 'failed', outcome.error, outcome.runAt),
        }).changes === 1
      )
    case 'dead':
      return (
        s.kill.run({
          ...lease,
          reason: outcome.reason,
          error: JSON.stringify(outcome.error),
          event: jobEvent(now, 'failed', outcome.error),
        }).changes === 1
      )
    case 'snoozed':
      return (
        s.requeue.run({
          ...lease,
          runAt: outcome.runAt,
          event: jobEvent(now, 'snoozed', outcome.error, outcome.runAt),
        }).changes === 1
      )
    case 'released':
      return (
        s.requeue.run({ ...lease, runAt: now, event: jobEvent(now, 'released', undefined, now) })
          .changes === 1
      )
  }
}

function filterParams(filter: JobFilter): Record<string, unknown> {
  return {
    state: filter.state ?? null,
    name: filter.name ?? null,
    deadReason: filter.deadReason ?? null,
    errorName: filter.errorName ?? null,
    key: filter.key ?? null,
    since: filter.since ?? null,
    until: filter.until ?? null,
    afterId: filter.afterId === undefined ? null : Number(filter.afterId),
  }
}

/**
 * The job store on one SQLite connection. Writes go through `write` (group commit); reads run
 * at once, each in its own short implicit transaction so they never hold back checkpoints.
 */
export function sqliteJobStore(
  db: SqliteDatabase,
  write: <T>(work: () => T) => Promise<T>,
  newKey: () => string,
  onEnqueued: (names: string[]) => void,
): JobStore {
  const s = statements(db)
  const enqueued = <T>(jobs: readonly NewJob[], result: T): T => {
    onEnqueued([...new Set(jobs.map((job) => job.name))])
    return result
  }
  return {
    async enqueue(jobs, now) {
      return enqueued(jobs, await write(() => enqueueOn(db, jobs, now, newKey)))
    },
    enqueueInTx(tx, jobs, now) {
      return enqueued(jobs, enqueueOn(sqliteTransaction(tx, 'enqueue'), jobs, now, newKey))
    },
    cycle({ now, settle: outcomes, claim }) {
      return write(() => {
        const settled = outcomes.map((outcome) => settle(s, outcome, now))
        if (!claim || claim.limit <= 0) return { settled, claimed: [] }
        const rows = s.claim.all({
          now,
          owner: claim.owner,
          leaseUntil: now + claim.leaseMs,
          names: JSON.stringify(claim.names),
          limit: claim.limit,
          scan: (s.groupsPending.get() as { found: number }).found
            ? claimScan(claim.limit)
            : claim.limit,
        })
        return { settled, claimed: inClaimOrder(rows.map(toRecord)) }
      })
    },
    completeInTx(tx, completion, now) {
      const on = statements(sqliteTransaction(tx, 'completeInTx'))
      return settle(on, { ...completion, kind: 'completed' }, now)
    },
    heartbeat(owner, now, leaseMs) {
      return write(() => s.heartbeat.run({ owner, leaseUntil: now + leaseMs }).changes)
    },
    rescue({ now, baseMs, capMs }) {
      return write(() => {
        const rows = s.rescue
          .all({ now, baseMs, capMs, historyLimit, error: JSON.stringify(lostLeaseError) })
          .map(toRecord)
        return {
          requeued: rows.filter((job) => job.state === 'pending'),
          dead: rows.filter((job) => job.state === 'dead'),
        }
      })
    },
    async nextRunAt(jobNames) {
      const row = s.nextRunAt.get({ names: JSON.stringify(jobNames) }) as { at: number | null }
      return Promise.resolve(row.at)
    },
    async get(id) {
      const row = s.get.get({ id: Number(id) })
      return Promise.resolve(row === undefined ? undefined : toRecord(row))
    },
    async list(filter) {
      const rows = s.list.all({ ...filterParams(filter), limit: filter.limit ?? 100 })
      return Promise.resolve(rows.map(toRecord))
    },
    async count(filter) {
      return Promise.resolve((s.count.get(filterParams(filter)) as { n: number }).n)
    },
    replay(ids, options) {
      const one = db.transaction((id: string): boolean => {
        const row = s.replay.get({
          id: Number(id),
          now: options.now,
          historyLimit,
          payload: options.payload === undefined ? null : JSON.stringify(options.payload),
          idempotencyKey: options.renewIdempotencyKey ? options.newIdempotencyKey() : null,
          event: jobEvent(options.now, 'replayed', undefined, options.now),
        })
        return row !== undefined
      })
      return write(() => {
        // A job whose key another job now holds stays dead rather than failing the others.
        const replayed = ids.filter((id) => {
          try {
            return one(id)
          } catch (error) {
            if (isUniqueViolation(error)) return false
            throw error
          }
        })
        return replayed
      }).then((replayed) => {
        if (replayed.length > 0) onEnqueued(['*'])
        return replayed
      })
    },
    discard(ids) {
      return write(() => ids.reduce((n, id) => n + s.discard.run({ id: Number(id) }).changes, 0))
    },
    async enqueueSlot(schedule, slotAt, job, now) {
      const fired = await write(() => {
        if (s.takeSlot.run({ schedule, slotAt }).changes === 0) return false
        const [result] = enqueueOn(db, [job], now, newKey)
        s.fillSlot.run({ schedule, slotAt, jobId: Number(result?.id) })
        return true
      })
      return fired ? enqueued([job], true) : false
    },
    async counts(jobNames, now) {
      const row = s.counts.get({
        now,
        names: jobNames === null ? null : JSON.stringify(jobNames),
      }) as Record<string, number | null>
      return Promise.resolve({
        ready: row.ready ?? 0,
        scheduled: row.scheduled ?? 0,
        running: row.running ?? 0,
        dead: row.dead ?? 0,
        oldestReadyAt: row.oldestReadyAt ?? null,
      })
    },
    prune(before) {
      return write(() => s.prune.run({ before }).changes)
    },
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
}
