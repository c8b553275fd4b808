import type { JobStore } from './job-types.js'
import type { IdempotencyStore, InboxStore, LeaseStore } from './other-types.js'
import type { ReportStore } from './report-types.js'
import type { TokenStore } from './token-types.js'

export type Dialect = 'sqlite' | 'postgres'

/** Everything Seamline keeps, on one database. Both dialects pass the same conformance suite. */
export interface Store {
  readonly dialect: Dialect
  readonly jobs: JobStore
  readonly inbox: InboxStore
  readonly idempotency: IdempotencyStore
  readonly leases: LeaseStore
  /** OAuth connections and their sealed token pairs. */
  readonly tokens: TokenStore
  /** Reconciliation reports. */
  readonly reports: ReportStore
  /**
   * Calls `listener` with job names soon after jobs of those names were enqueued: at once for
   * enqueues through this store, and (PostgreSQL) through `LISTEN`/`NOTIFY` from any process.
   * `*` means "any name". Returns the function that unsubscribes.
   */
  onJobsEnqueued(listener: (names: readonly string[]) => void): () => void
  /**
   * One real round trip to the database (a read of the jobs table): resolves when it answers,
   * rejects with the driver's error when it does not. What readiness checks.
   */
  ping(): Promise<void>
  /** Applies the migrations not yet applied; returns their versions. */
  migrate(): Promise<number[]>
  close(): Promise<void>
}
