import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { SeamlineError } from '../../errors/index.js'
import type { Store } from '../store.js'
import { enqueueOn } from './enqueue.js'
import { postgresInbox } from './inbox.js'
import { postgresJobStore } from './jobs.js'
import { migratePostgres } from './migrate.js'
import { jobNotifications } from './notifications.js'
import { postgresIdempotency, postgresLeases } from './others.js'
import { postgresReportStore } from './reports.js'
import { postgresTokenStore } from './tokens.js'

export interface PostgresStoreOptions {
  /** A connection string; the store opens (and closes) a pool of its own. */
  url?: string
  /** A pool of yours to use instead; `close()` leaves it open. */
  pool?: pg.Pool
  /** Connections in the pool the store opens from `url`. Default 10. */
  maxConnections?: number
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean
  /**
   * Hear jobs enqueued by other processes through `LISTEN` on one more connection, opened with
   * the first `onJobsEnqueued` listener. Default true; without it, workers find them by polling.
   */
  listen?: boolean
  /** How long enqueues are gathered into one `NOTIFY`. Default 5 ms. */
  notifyDelayMs?: number
  /**
   * Called when a `NOTIFY` cannot be sent, the `LISTEN` connection drops (once per outage) or a
   * listener throws. Default: a process warning.
   */
  onError?: (error: unknown) => void
}

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'postgresStore',
    target,
    reason,
  })
}

/**
 * The shared store: every process on one PostgreSQL database claims with `SKIP LOCKED` and
 * hears new jobs through `LISTEN`/`NOTIFY`. Requires PostgreSQL 12 or later.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { url, maxConnections = 10, notifyDelayMs = 5 } = options
  if (url === undefined && options.pool === undefined) {
    throw invalid('options', 'needs a url or a pool')
  }
  if (!(Number.isInteger(maxConnections) && maxConnections > 0)) {
    throw invalid('maxConnections', `must be a whole number > 0 (got ${String(maxConnections)})`)
  }
  if (!(Number.isFinite(notifyDelayMs) && notifyDelayMs >= 0)) {
    throw invalid(
      'notifyDelayMs',
      `must be a number of milliseconds >= 0 (got ${String(notifyDelayMs)})`,
    )
  }
  const onError =
    options.onError ??
    ((error: unknown) =>
      process.emitWarning(`PostgreSQL store: ${String(error)}`, 'SeamlineWarning'))
  // Loaded here, not at import, so an app on SQLite never loads the PostgreSQL driver.
  const { default: driver } = await import('pg')
  const ownPool = options.pool === undefined
  const pool = options.pool ?? new driver.Pool({ connectionString: url, max: maxConnections })
  // An idle pooled connection that drops must not crash the process; the pool replaces it.
  if (ownPool) pool.on('error', onError)

  try {
    if (options.migrate !== false) await migratePostgres(pool)
  } catch (error) {
    if (ownPool) await pool.end()
    throw error
  }

  const notifications = jobNotifications({
    pool,
    listenWith:
      options.listen === false
        ? null
        : () => new driver.Client(url === undefined ? pool.options : { connectionString: url }),
    delayMs: notifyDelayMs,
    onError,
  })
  const jobs = postgresJobStore(pool, randomUUID, notifications)
  let closing: Promise<void> | undefined
  return {
    dialect: 'postgres',
    jobs,
    inbox: postgresInbox(
      pool,
      (db, batch, now) => enqueueOn(db, batch, now, randomUUID),
      randomUUID,
      (names) => notifications.committed(names),
    ),
    idempotency: postgresIdempotency(pool),
    leases: postgresLeases(pool),
    tokens: postgresTokenStore(pool),
    reports: postgresReportStore(pool),
    onJobsEnqueued: (listener) => notifications.subscribe(listener),
    async ping() {
      await pool.query('SELECT 1 FROM seamline_jobs LIMIT 1')
    },
    migrate: () => migratePostgres(pool),
    close() {
      closing ??= (async () => {
        await notifications.close()
        if (ownPool) await pool.end()
      })()
      return closing
    },
  }
}
