import type pg from 'pg'
import { jobFromRow, type JobRow } from '../job-row.js'
import type { ClaimRequest, JobOutcome, JobRecord } from '../job-types.js'
import { claimScan, historyLimit, inClaimOrder, jobEvent } from '../job-rules.js'
import { inline, readStatements, rows, type Queryable, type Row } from './statements.js'

const s = readStatements(
  new URL('./jobs.sql', import.meta.url),
  ['settle', 'claimSettings', 'claimUngrouped', 'lockGroups', 'claim'],
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
      return outcome.remove ? { ...base, remove: true } : base
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

/** The outcomes to write, the first of each lease only, and how to read what was written. */
function settling(outcomes: readonly JobOutcome[], now: number) {
  const seen = new Set<string>()
  const firsts = outcomes.filter(
    (outcome) => !seen.has(leaseOf(outcome)) && seen.add(leaseOf(outcome)),
  )
  return {
    values: {
      outcomes: JSON.stringify(firsts.map((outcome) => outcomeRecord(outcome, now))),
      now,
      historyLimit,
    },
    /** Per outcome, whether its lease still held: an outcome repeated in the batch settles once. */
    held: (settled: readonly Row[]): boolean[] => {
      const held = new Set(settled.map((row) => `${String(row.id)}:${Number(row.deliveries)}`))
      return outcomes.map((outcome) => held.delete(leaseOf(outcome)))
    },
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
  const { values, held } = settling(outcomes, now)
  return held(await rows(db, s.settle, values))
}

/**
 * Settles outcomes and claims jobs of no group in one script, one round trip that commits once.
 * `grouped` says that due jobs have groups: nothing was claimed, and `claimOn` must claim.
 */
export async function settleAndClaimOn(
  db: Queryable,
  outcomes: readonly JobOutcome[],
  claim: ClaimRequest,
  now: number,
): Promise<{ settled: boolean[]; claimed: JobRecord[]; grouped: boolean }> {
  const settle = outcomes.length === 0 ? undefined : settling(outcomes, now)
  const claimText = inline(s.claimUngrouped, {
    now,
    names: [...claim.names],
    owner: claim.owner,
    leaseUntil: now + claim.leaseMs,
    limit: claim.limit,
  })
  const script = [
    s.claimSettings.sql,
    ...(settle ? [inline(s.settle, settle.values)] : []),
    claimText,
  ]
  // A statement may end in a comment: each `;` goes on a line of its own.
  const text = script.join('\n;\n')
  const results = (await db.query({ text })) as unknown as pg.QueryResult<Row>[]
  const claimedRows = results[results.length - 1]?.rows ?? []
  return {
    settled: settle ? settle.held(results[results.length - 2]?.rows ?? []) : [],
    claimed: inClaimOrder(claimedRows.filter((row) => row.id !== null).map(toRecord)),
    grouped: claimedRows[0]?.grouped_due === true,
  }
}

/** The script that opens a transaction `claimOn` runs in. */
export const beginClaim = `BEGIN;\n${s.claimSettings.sql}`

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
