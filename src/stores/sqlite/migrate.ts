import { SeamlineError } from '../../errors/index.js'
import { readMigrations } from '../sql-files.js'
import type { SqliteDatabase } from './connection.js'

const migrations = readMigrations(new URL('./migrations/', import.meta.url))

/**
 * Brings the database to the newest schema, one migration per `BEGIN IMMEDIATE` transaction, so
 * processes starting together apply each migration once and a failed one leaves nothing behind.
 * Returns the versions this call applied.
 */
export function migrateSqlite(db: SqliteDatabase): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS seamline_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
  const current = db.prepare('SELECT max(version) AS version FROM seamline_migrations')
  const record = db.prepare('INSERT INTO seamline_migrations VALUES (?, ?, ?)')
  const applied: number[] = []
  for (const migration of migrations) {
    db.transaction(() => {
      const at = (current.get() as { version: number | null }).version ?? 0
      if (at >= migration.version) return
      try {
        db.exec(migration.sql)
      } catch (error) {
        throw new SeamlineError('SEAM_ERR_STORE_MIGRATION', {
          operation: 'migrate',
          target: `sqlite ${db.name}`,
          reason: `failed at ${migration.version}_${migration.name}: ${String(error)}`,
          cause: error,
        })
      }
      record.run(migration.version, migration.name, Date.now())
      applied.push(migration.version)
    }).immediate()
  }
  const at = (current.get() as { version: number | null }).version ?? 0
  if (at > migrations.length) {
    throw new SeamlineError('SEAM_ERR_STORE_MIGRATION', {
      operation: 'migrate',
      target: `sqlite ${db.name}`,
      reason: `is at schema ${at}, newer than this version of Seamline knows (${migrations.length}); upgrade Seamline`,
    })
  }
  return applied
}
