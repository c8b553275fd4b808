import { randomUUID } from 'node:crypto'
import type { Store } from '../store.js'
import { openSqlite, type SqliteOptions } from './connection.js'
import { enqueueOn, sqliteJobStore } from './jobs.js'
import { migrateSqlite } from './migrate.js'
import { sqliteOtherStores } from './others.js'
import { sqliteReportStore } from './reports.js'
import { sqliteTokenStore } from './tokens.js'
import { writeBatch } from './write-batch.js'

export interface SqliteStoreOptions extends SqliteOptions {
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean
}

/**
 * The embedded store: one SQLite file in WAL mode, `synchronous=FULL` unless asked otherwise,
 * writes group-committed. Other processes may open the same file; they find new jobs by polling.
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqlite(options)
  if (options.migrate !== false) migrateSqlite(db)
  const write = writeBatch(db)
  const listeners = new Set<(names: readonly string[]) => void>()
  const notify = (names: readonly string[]): void => {
    for (const listener of listeners) listener(names)
  }
  const jobs = sqliteJobStore(db, write, randomUUID, notify)
  const enqueue = (jobs: Parameters<typeof enqueueOn>[1], now: number) =>
    enqueueOn(db, jobs, now, randomUUID)
  const others = sqliteOtherStores(db, write, enqueue, notify)
  return {
    dialect: 'sqlite',
    jobs,
    ...others,
    tokens: sqliteTokenStore(db, write),
    reports: sqliteReportStore(db, write),
    onJobsEnqueued(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    ping() {
      return new Promise<void>((resolve) => {
        db.prepare('SELECT 1 FROM seamline_jobs LIMIT 1').get()
        resolve()
      })
    },
    migrate: () => Promise.resolve(migrateSqlite(db)),
    async close() {
      // Let writes already asked for commit first.
      await write(() => undefined)
      db.close()
    },
  }
}
