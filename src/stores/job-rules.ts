import { SeamlineError } from '../errors/index.js'
import type { JobEvent, JobRecord, NewJob, StoredError } from './job-types.js'

/** A job keeps its most recent history entries; older ones are dropped first. */
export const historyLimit = 50

/**
 * How many due jobs a claim looks at for `limit` slots: more than `limit`, so jobs held back by
 * their group's limit do not starve the others behind them.
 */
export const claimScan = (limit: number): number => Math.max(limit * 4, 64)

/** A history entry as JSON; the store fills in `attempt` from the row. */
export function jobEvent(
  at: number,
  kind: JobEvent['kind'],
  error?: StoredError,
  runAt?: number,
): string {
  return JSON.stringify({
    at,
    kind,
    ...(error && { error }),
    ...(runAt !== undefined && { runAt }),
  })
}

export function jobConflict(job: NewJob, holderId: string, holderState: string): SeamlineError {
  const why =
    holderState === 'running'
      ? `is held by job ${holderId}, which is running and cannot be replaced`
      : `is held by ${holderState} job ${holderId}`
  return new SeamlineError('SEAM_ERR_JOB_CONFLICT', {
    operation: `enqueue ${job.name}`,
    target: `key ${JSON.stringify(job.key)}`,
    reason: `${why}; nothing was enqueued`,
  })
}

/** Claimed jobs in the order they were chosen (`RETURNING` promises no order). */
export function inClaimOrder(jobs: JobRecord[]): JobRecord[] {
  return jobs.sort(
    (a, b) => a.priority - b.priority || a.runAt - b.runAt || Number(a.id) - Number(b.id),
  )
}
