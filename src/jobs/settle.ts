import { backoff } from '../policies/index.js'
import type { JobOutcome, JobRecord } from '../stores/index.js'
import { isRetryAfter, storedError, waitAskedBy, PermanentError } from './outcomes.js'

const lease = (job: JobRecord) => ({ id: job.id, delivery: job.deliveries })

/** The outcome of a handler that returned `result`. */
export function outcomeOfResult(
  job: JobRecord,
  result: unknown,
  now: number,
  remove: boolean,
): JobOutcome {
  if (isRetryAfter(result)) return { ...lease(job), kind: 'snoozed', runAt: now + result.ms }
  return { ...lease(job), kind: 'completed', ...(remove && { remove }) }
}

// An error that says itself no retry can help (`HttpStatusError#permanent`: a provider's 404,
// 422…), read by its shape so that jobs need not know the HTTP layer.
const permanent = (error: unknown): boolean =>
  (error as { permanent?: unknown } | null)?.permanent === true

/**
 * The outcome of a handler that threw: a wait the error asks for keeps the attempt; a
 * `PermanentError` (or an error marked `permanent`), or the last allowed attempt, makes a dead letter; anything else is retried
 * after the job's backoff.
 */
export function outcomeOfError(job: JobRecord, error: unknown, now: number): JobOutcome {
  const stored = storedError(error)
  const wait = waitAskedBy(error)
  if (wait !== undefined)
    return { ...lease(job), kind: 'snoozed', runAt: now + wait, error: stored }
  if (error instanceof PermanentError || permanent(error)) {
    return { ...lease(job), kind: 'dead', reason: 'permanent', error: stored }
  }
  const attempt = job.attempts + 1
  if (attempt >= job.maxAttempts) {
    return { ...lease(job), kind: 'dead', reason: 'exhausted', error: stored }
  }
  const schedule = backoff(job.backoff ?? {})
  const waitMs = Math.round(schedule.delay(attempt, 0))
  return { ...lease(job), kind: 'failed', error: stored, runAt: now + waitMs }
}
