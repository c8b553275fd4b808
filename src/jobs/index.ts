export { createJobs, type EnqueueItem, type Jobs, type JobsOptions } from './jobs.js'
export type {
  ClientSource,
  JobClient,
  JobContext,
  JobInfo,
  PgConnection,
  SqliteConnection,
} from './context.js'
export type {
  BulkReplayOptions,
  BulkResult,
  DeadLetterFilter,
  DeadLetters,
  ReplayOptions,
} from './dead-letters.js'
export type { JobEvents } from './events.js'
export type {
  EnqueueOptions,
  JobBackoff,
  JobDefaults,
  JobDefinitionOptions,
  JobRegistry,
  PayloadOf,
} from './options.js'
export { PermanentError, retryAfter, isRetryAfter, type RetryAfter } from './outcomes.js'
export type { JobHandler, WorkerOptions } from './worker.js'
export type { ScheduleOptions } from './schedules.js'
export { parseCron, type Cron } from './cron.js'
export {
  openStore,
  postgresStore,
  sqliteStore,
  type EnqueueResult,
  type JobRecord,
  type OpenStoreOptions,
  type PostgresStoreOptions,
  type SqliteStoreOptions,
  type Store,
} from '../stores/index.js'
