/**
 * What a job store keeps and how the jobs layer talks to it. Every time is milliseconds since
 * the epoch, passed in from the caller's `Clock`: stores never read a clock of their own, so
 * `FakeClock` drives leases, schedules and backoff in tests.
 */

/** `pending` waits for `runAt` (a first run, a retry or a snooze); `dead` is a dead letter. */
export type JobState = 'pending' | 'running' | 'completed' | 'dead'
export const jobStates: readonly JobState[] = ['pending', 'running', 'completed', 'dead']

/** Why a job became a dead letter. */
export type DeadReason = 'exhausted' | 'permanent' | 'worker_lost'
export const deadReasons: readonly DeadReason[] = ['exhausted', 'permanent', 'worker_lost']

/**
 * What enqueueing a job whose `key` is held by a pending or running job does: `reject` fails
 * the enqueue, `replace` overwrites the pending job (a debounce), `keep-earliest` keeps it.
 */
export type UniqueMode = 'reject' | 'replace' | 'keep-earliest'

/** An error as stored: enough to read in a dead-letter listing without the original object. */
export interface StoredError {
  name: string
  message: string
  code?: string
}

/** One entry of a job's history: a failed attempt, a snooze, a lost lease or a replay. */
export interface JobEvent {
  at: number
  kind: 'failed' | 'snoozed' | 'lost' | 'released' | 'replayed'
  /** The attempt this event ended (failed) or interrupted (snoozed, lost, released). */
  attempt: number
  error?: StoredError
  /** When the job was made due again, if it was. */
  runAt?: number
}

export interface NewJob {
  name: string
  /** Anything `JSON.stringify` keeps. */
  payload: unknown
  runAt: number
  priority: number
  maxAttempts: number
  /** Lost leases tolerated before the job is dead with `worker_lost`. */
  maxRescues: number
  key?: string
  unique?: UniqueMode
  /** Jobs sharing an order key start one at a time, oldest first. */
  orderKey?: string
  /** Jobs sharing a group key run at most `groupLimit` at a time, across every process. */
  groupKey?: string
  groupLimit?: number
  /** Stored for the jobs layer (the job's own retry schedule); the store does not read it. */
  backoff?: unknown
  /** Root of the idempotency keys of the job's outbound calls; a random one by default. */
  idempotencyKey?: string
}

export interface JobRecord {
  id: string
  name: string
  payload: unknown
  state: JobState
  priority: number
  runAt: number
  createdAt: number
  updatedAt: number
  /** Handler failures so far. */
  attempts: number
  maxAttempts: number
  /** Claims so far; also the fencing token of the current lease. */
  deliveries: number
  /** Leases lost so far. */
  rescues: number
  maxRescues: number
  key: string | null
  orderKey: string | null
  groupKey: string | null
  groupLimit: number | null
  backoff: unknown
  idempotencyKey: string
  leaseOwner: string | null
  leaseUntil: number | null
  lastError: StoredError | null
  deadReason: DeadReason | null
  history: JobEvent[]
  finishedAt: number | null
}

export type EnqueueOutcome = 'inserted' | 'replaced' | 'kept'

export interface EnqueueResult {
  id: string
  outcome: EnqueueOutcome
}

/** Identifies one claim of a job: settling it is refused once the lease has passed to another. */
export interface JobLease {
  id: string
  delivery: number
}

/** A claimed job that succeeded; `remove` deletes its row instead of keeping it completed. */
export type Completion = JobLease & { kind: 'completed'; remove?: boolean }

/** What became of a claimed job. Only `failed` and `dead` spend an attempt. */
export type JobOutcome =
  | Completion
  | (JobLease & { kind: 'failed'; error: StoredError; runAt: number })
  | (JobLease & { kind: 'dead'; reason: 'exhausted' | 'permanent'; error: StoredError })
  | (JobLease & { kind: 'snoozed'; runAt: number; error?: StoredError })
  | (JobLease & { kind: 'released' })

export interface ClaimRequest {
  names: readonly string[]
  owner: string
  limit: number
  leaseMs: number
}

export interface CycleRequest {
  now: number
  settle: readonly JobOutcome[]
  claim?: ClaimRequest
}

export interface CycleResult {
  /** One per settled outcome: false when the lease had already been lost. */
  settled: boolean[]
  claimed: JobRecord[]
}

export interface RescueOptions {
  now: number
  /**
   * A job's first rescue makes it due at once (its worker is gone, not failing); each later one
   * after `min(capMs, baseMs × 2^(rescues - 1))`, so a job that keeps killing workers slows down.
   */
  baseMs: number
  capMs: number
}

export interface RescueResult {
  requeued: JobRecord[]
  dead: JobRecord[]
}

export interface JobFilter {
  state?: JobState
  name?: string
  deadReason?: DeadReason
  /** Matches the stored error's name or code. */
  errorName?: string
  key?: string
  /** Finished (or, for unfinished jobs, created) at or after this time. */
  since?: number
  until?: number
  /** Only ids above this one (paging). */
  afterId?: string
  limit?: number
}

export interface ReplayOptions {
  now: number
  /** Give the replayed jobs fresh idempotency keys; by default their effects keep the old ones. */
  renewIdempotencyKey: boolean
  newIdempotencyKey: () => string
  /** Replace the payload (of a single job). */
  payload?: unknown
}

export interface JobCounts {
  /** Due now. */
  ready: number
  /** Pending with `runAt` in the future. */
  scheduled: number
  running: number
  dead: number
  /** When the oldest due job became due, or null when none is. */
  oldestReadyAt: number | null
}

export interface JobStore {
  /** Inserts jobs atomically: a `reject` conflict fails the whole batch and writes nothing. */
  enqueue(jobs: readonly NewJob[], now: number): Promise<EnqueueResult[]>
  /**
   * Inserts jobs in the caller's open transaction (a transactional outbox). A SQLite connection
   * is written (and throws) at once, so this works inside better-sqlite3's synchronous
   * `db.transaction(…)`; PostgreSQL answers with a promise.
   */
  enqueueInTx(
    tx: unknown,
    jobs: readonly NewJob[],
    now: number,
  ): EnqueueResult[] | Promise<EnqueueResult[]>
  /** Settles finished jobs and claims the next ones in one transaction. */
  cycle(request: CycleRequest): Promise<CycleResult>
  /**
   * Cycles a worker keeps in flight at once unless told otherwise: more than 1 on a store whose
   * cycles run side by side on connections of their own. Absent, 1.
   */
  readonly cycles?: number
  /**
   * Marks a claimed job completed in the caller's transaction; false when its lease was lost.
   * Synchronous on SQLite, as `enqueueInTx`.
   */
  completeInTx(
    tx: unknown,
    completion: Omit<Completion, 'kind'>,
    now: number,
  ): boolean | Promise<boolean>
  /** Extends every lease `owner` holds; returns how many. */
  heartbeat(owner: string, now: number, leaseMs: number): Promise<number>
  /** Makes jobs whose lease expired due again, or dead with `worker_lost` past their rescues. */
  rescue(options: RescueOptions): Promise<RescueResult>
  /** When the next pending job of these names is due, or null. */
  nextRunAt(names: readonly string[]): Promise<number | null>
  get(id: string): Promise<JobRecord | undefined>
  list(filter: JobFilter): Promise<JobRecord[]>
  count(filter: JobFilter): Promise<number>
  /** Makes dead jobs pending again, due now, with attempts and rescues reset; returns their ids. */
  replay(ids: readonly string[], options: ReplayOptions): Promise<string[]>
  /** Deletes dead jobs; returns how many. */
  discard(ids: readonly string[]): Promise<number>
  /**
   * Enqueues `job` for one slot of a schedule unless any process already did: true when this
   * call did.
   */
  enqueueSlot(schedule: string, slotAt: number, job: NewJob, now: number): Promise<boolean>
  counts(names: readonly string[] | null, now: number): Promise<JobCounts>
  /** Deletes completed jobs finished before `before`; returns how many. */
  prune(before: number): Promise<number>
}
