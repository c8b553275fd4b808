import type { EnqueueResult, NewJob } from '../job-types.js'
import { jobConflict } from '../job-rules.js'
import { readStatements, rows, run, type Queryable } from './statements.js'

const s = readStatements(
  new URL('./jobs.sql', import.meta.url),
  ['insert', 'holders', 'replace'],
  'seamline_jobs',
)

/** A job with its idempotency key chosen, as the insert statement reads it. */
export interface JobInput {
  job: NewJob
  idempotencyKey: string
}

const holderKey = (name: string, key: string): string => `${name}\u0000${key}`

/** The batch as the insert statement's column arrays; JSON values go as text. */
export function insertColumns(inputs: readonly JobInput[]): Record<string, unknown[]> {
  return {
    names: inputs.map(({ job }) => job.name),
    payloads: inputs.map(({ job }) => JSON.stringify(job.payload ?? null)),
    priorities: inputs.map(({ job }) => job.priority),
    runAts: inputs.map(({ job }) => job.runAt),
    maxAttempts: inputs.map(({ job }) => job.maxAttempts),
    maxRescues: inputs.map(({ job }) => job.maxRescues),
    keys: inputs.map(({ job }) => job.key ?? null),
    orderKeys: inputs.map(({ job }) => job.orderKey ?? null),
    groupKeys: inputs.map(({ job }) => job.groupKey ?? null),
    groupLimits: inputs.map(({ job }) => job.groupLimit ?? null),
    backoffs: inputs.map(({ job }) => (job.backoff ? JSON.stringify(job.backoff) : null)),
    idempotencyKeys: inputs.map(({ idempotencyKey }) => idempotencyKey),
  }
}

/** Inserts the batch in one statement; undefined where a held key kept a job out. */
async function insertAll(
  db: Queryable,
  inputs: readonly JobInput[],
  now: number,
): Promise<(EnqueueResult | undefined)[]> {
  const inserted = await rows(db, s.insert, { ...insertColumns(inputs), now })
  return inserted.map((row) =>
    row.inserted === true ? { id: String(row.id), outcome: 'inserted' } : undefined,
  )
}

/** The pending or running job holding each key, locked until the transaction ends. */
async function lockHolders(
  db: Queryable,
  jobs: readonly NewJob[],
): Promise<Map<string, { id: string; state: string }>> {
  const keyed = jobs.filter((job) => job.key !== undefined)
  const found = await rows(db, s.holders, {
    names: keyed.map((job) => job.name),
    keys: keyed.map((job) => job.key),
  })
  return new Map(
    found.map((row) => [
      holderKey(row.name as string, row.key as string),
      { id: String(row.id), state: row.state as string },
    ]),
  )
}

/**
 * Inserts jobs through `db`; the caller provides the transaction when the batch has keys (a
 * `reject` conflict throws, and the caller's rollback undoes the rest). One statement inserts
 * the batch; only jobs whose key is held cost more.
 */
export async function enqueueOn(
  db: Queryable,
  jobs: readonly NewJob[],
  now: number,
  newKey: () => string,
): Promise<EnqueueResult[]> {
  const inputs = jobs.map((job) => ({ job, idempotencyKey: job.idempotencyKey ?? newKey() }))
  return settleConflicts(db, inputs, await insertAll(db, inputs, now), now)
}

async function settleConflicts(
  db: Queryable,
  inputs: readonly JobInput[],
  results: (EnqueueResult | undefined)[],
  now: number,
): Promise<EnqueueResult[]> {
  const conflicts = inputs.filter((_, i) => results[i] === undefined)
  if (conflicts.length === 0) return results as EnqueueResult[]
  const holders = await lockHolders(
    db,
    conflicts.map(({ job }) => job),
  )
  for (const [i, input] of inputs.entries()) {
    if (results[i] !== undefined) continue
    const { job } = input
    if (job.key === undefined) throw new Error(`job ${job.name} was not inserted and has no key`)
    const holder = holders.get(holderKey(job.name, job.key))
    if (!holder) {
      // The holder finished between the insert and the lookup: the key is free again.
      const [again] = await settleConflicts(db, [input], await insertAll(db, [input], now), now)
      results[i] = again
      continue
    }
    const mode = job.unique ?? 'keep-earliest'
    if (mode === 'keep-earliest') {
      results[i] = { id: holder.id, outcome: 'kept' }
    } else if (mode === 'replace' && holder.state === 'pending') {
      await run(db, s.replace, replaceParams(job, holder.id, now))
      results[i] = { id: holder.id, outcome: 'replaced' }
    } else {
      throw jobConflict(job, holder.id, holder.state)
    }
  }
  return results as EnqueueResult[]
}

function replaceParams(job: NewJob, id: string, now: number): Record<string, unknown> {
  return {
    id,
    now,
    payload: JSON.stringify(job.payload ?? null),
    priority: job.priority,
    runAt: job.runAt,
    maxAttempts: job.maxAttempts,
    maxRescues: job.maxRescues,
    orderKey: job.orderKey ?? null,
    groupKey: job.groupKey ?? null,
    groupLimit: job.groupLimit ?? null,
    backoff: job.backoff === undefined ? null : JSON.stringify(job.backoff),
  }
}
