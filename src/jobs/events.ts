import type { DeadReason, StoredError } from '../stores/index.js'

/** What the jobs capability reports, for logs and metrics. */
export type JobEvents = {
  'job:started': { id: string; name: string; attempt: number; delivery: number }
  'job:completed': { id: string; name: string; durationMs: number }
  'job:failed': { id: string; name: string; attempt: number; error: StoredError; runAt: number }
  'job:snoozed': { id: string; name: string; runAt: number }
  'job:dead': { id: string; name: string; reason: DeadReason; error: StoredError }
  /** A lease expired: the job is due again, or dead (`worker_lost`) past its rescues. */
  'job:rescued': { id: string; name: string; rescues: number; dead: boolean }
  /** This worker's settlement was refused: the lease had passed to another worker. */
  'job:lease-lost': { id: string; name: string }
  /** The store failed a worker's step; the worker keeps going and tries again. */
  'worker:error': { operation: string; error: unknown }
}
