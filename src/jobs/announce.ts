import type { Emitter } from '../events/index.js'
import type { JobOutcome, JobRecord } from '../stores/index.js'
import type { JobEvents } from './events.js'

/** A job this worker ran, as it settles. */
export interface Settling {
  outcome: JobOutcome
  job: JobRecord
  startedAt: number
  /** The handler completed it in its own transaction: a refused settlement is expected. */
  completedInTx: boolean
}

/** Tells listeners what became of a job, once the store took (or refused) its outcome. */
export function announce(
  events: Emitter<JobEvents>,
  settling: Settling,
  settled: boolean,
  now: number,
): void {
  const { outcome, job } = settling
  const { id, name } = { id: job.id, name: job.name }
  const completed = () =>
    events.emit('job:completed', { id, name, durationMs: now - settling.startedAt })
  if (!settled) {
    // Completed in the handler's own transaction, it had nothing left to settle.
    return settling.completedInTx ? completed() : events.emit('job:lease-lost', { id, name })
  }
  switch (outcome.kind) {
    case 'completed':
      return completed()
    case 'failed':
      return events.emit('job:failed', {
        id,
        name,
        attempt: job.attempts + 1,
        error: outcome.error,
        runAt: outcome.runAt,
      })
    case 'dead':
      return events.emit('job:dead', { id, name, reason: outcome.reason, error: outcome.error })
    case 'snoozed':
      return events.emit('job:snoozed', { id, name, runAt: outcome.runAt })
    case 'released':
      return
  }
}
