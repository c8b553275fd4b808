import { jobFromRow, type JobRow } from '../job-row.js'
import type { ClaimRequest, JobOutcome, JobRecord } from '../job-types.js'
import { claimScan, historyLimit, inClaimOrder, jobEvent } from '../job-rules.js'
import { readStatements, rows, type Queryable } from './statements.js'

const s = readStatements(
  new URL('./jobs.sql', import.meta.url),
  ['settle', 'beginClaim', 'lockGroups', 'claim'],
  'seamline_jobs',
)

/** PostgreSQL parses `jsonb` itself. */
export const toRecord = (row: JobRow): JobRecord => jobFromRow(row, (value) => value)

const leaseOf = (outcome: { id: string; delivery: number }): string =>
  `${outcome.id}:${outcome.delivery}`

function outcomeRecord(outcome: JobOutcome, now: number): Record<string, unknown> {
  const base = { id: outcome.id, delivery: outcome.delivery, kind: outcome.kind }
  const event = (...args: Parameters<typeof jobEvent>): unknown => JSON.parse(jobEvent(...args))
  switch (outcome.kind) {
    case 'completed':
      return base
    case 'failed':
      return {
        ...base,
        run_at: outcome.runAt,
        error: outcome.error,
        event: event(now, 'failed', outcome.error, outcome.runAt),
      }
    case 'dead':
      return {
        ...base,
        reason: outcome.reason,
        error: outcome.error,
        event: event(now, 'failed', outcome.error),
      }
    case 'snoozed':
      return {
        ...base,
        run_at: outcome.runAt,
        event: event(now, 'snoozed', outcome.error, outcome.runAt),
      }
    case 'released':
      return { ...base, run_at: now, event: event(now, 'released', undefined, now) }
  }
}

/**
 * Settles outcomes in one statement; answers, per outcome, whether its lease still held. An
 * outcome repeated in the batch settles once, as it would one after the other.
 */
export async function settleOn(
  db: Queryable,
  outcomes: readonly JobOutcome[],
  now: number,
): Promise<boolean[]> {
  if (outcomes.length === 0) return []
  const seen = new Set<string>()
  const firsts = outcomes.filter(
    (outcome) => !seen.has(leaseOf(outcome)) && seen.add(leaseOf(outcome)),
  )
  const settled = await rows(db, s.settle, {
    outcomes: JSON.stringify(firsts.map((outcome) => outcomeRecord(outcome, now))),
    now,
    historyLimit,
  })
  const held = new Set(settled.map((row) => `${String(row.id)}:${Number(row.deliveries)}`))
  return outcomes.map((outcome) => held.delete(leaseOf(outcome)))
}

/** The script that opens a transaction `claimOn` runs in. */
export const beginClaim = s.beginClaim.text

/**
 * Claims due jobs, inside a transaction opened with `beginClaim`. Groups with due jobs are locked first (none, and no
 * lock, when no due job has a group), so that claims in every process count running jobs one
 * after the other and a group never runs more than its limit.
 */
export async function claimOn(
  db: Queryable,
  claim: ClaimRequest,
  now: number,
): Promise<JobRecord[]> {
  const scan = claimScan(claim.limit)
  const names = [...claim.names]
  const locked = await rows(db, s.lockGroups, { now, names, scan })
  const groups = locked.map((row) => row.group_key as string)
  const claimed = await rows(db, s.claim, {
    now,
    names,
    groups,
    owner: claim.owner,
    leaseUntil: now + claim.leaseMs,
    limit: claim.limit,
    // Without groups every candidate is taken: scanning (and locking) more would only hold
    // back other claimers.
    scan: groups.length === 0 ? claim.limit : scan,
  })
  return inClaimOrder(claimed.map(toRecord))
}
