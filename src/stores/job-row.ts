import type { DeadReason, JobEvent, JobRecord, JobState, StoredError } from './job-types.js'

/** A `seamline_jobs` row as either driver returns it (numbers may come back as strings). */
export type JobRow = Record<string, unknown>

const int = (value: unknown): number => Number(value)
const intOrNull = (value: unknown): number | null => (value === null ? null : Number(value))
const textOrNull = (value: unknown): string | null => (value === null ? null : (value as string))

/**
 * Maps a row to a record. `json` reads a JSON column: SQLite returns text, PostgreSQL parsed
 * values.
 */
export function jobFromRow(row: JobRow, json: (value: unknown) => unknown): JobRecord {
  return {
    id: String(row.id),
    name: row.name as string,
    payload: json(row.payload),
    state: row.state as JobState,
    priority: int(row.priority),
    runAt: int(row.run_at),
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
    attempts: int(row.attempts),
    maxAttempts: int(row.max_attempts),
    deliveries: int(row.deliveries),
    rescues: int(row.rescues),
    maxRescues: int(row.max_rescues),
    key: textOrNull(row.key),
    orderKey: textOrNull(row.order_key),
    groupKey: textOrNull(row.group_key),
    groupLimit: intOrNull(row.group_limit),
    backoff: row.backoff === null ? null : json(row.backoff),
    idempotencyKey: row.idempotency_key as string,
    leaseOwner: textOrNull(row.lease_owner),
    leaseUntil: intOrNull(row.lease_until),
    lastError: row.last_error === null ? null : (json(row.last_error) as StoredError),
    deadReason: (row.dead_reason ?? null) as DeadReason | null,
    history: json(row.history) as JobEvent[],
    finishedAt: intOrNull(row.finished_at),
  }
}

/** The error every rescued job records: its worker stopped renewing the lease. */
export const lostLeaseError: StoredError = {
  name: 'LeaseExpiredError',
  message: 'the worker holding the job stopped renewing its lease (crashed, killed or stalled)',
}
