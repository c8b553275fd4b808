import { SeamlineError } from '../../errors/index.js'
import type { SqliteDatabase } from './connection.js'

/**
 * Checks that a caller's handle is a better-sqlite3 connection with a transaction open, so
 * writes through it commit or roll back with the caller's own.
 */
export function sqliteTransaction(tx: unknown, operation: string): SqliteDatabase {
  const db = tx as Partial<SqliteDatabase> | null
  const connection = typeof db?.prepare === 'function' && typeof db.inTransaction === 'boolean'
  if (!connection || !db.inTransaction) {
    throw new SeamlineError('SEAM_ERR_STORE_TRANSACTION', {
      operation,
      target: 'tx',
      reason: connection
        ? 'is a SQLite connection with no transaction open; call it inside db.transaction(…)'
        : 'must be a better-sqlite3 connection to the same database file, inside a transaction',
    })
  }
  return db as SqliteDatabase
}
