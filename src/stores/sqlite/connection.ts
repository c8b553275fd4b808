import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

export interface SqliteOptions {
  /** The database file; `:memory:` for a private in-memory database. */
  path: string
  /**
   * `full` (the default) syncs the write-ahead log on every commit, so a committed job survives a
   * power loss. `normal` syncs only at checkpoints: faster, and still safe against a process crash,
   * but the last commits may be lost if the machine itself goes down.
   */
  synchronous?: 'full' | 'normal'
  /** How long a write waits for another process's lock before failing. Default 5 s. */
  busyTimeoutMs?: number
}

/** Opens a connection in WAL mode with the durability asked for (SQLite's build default is NORMAL). */
export function openSqlite(options: SqliteOptions): SqliteDatabase {
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5_000 })
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
  db.pragma('foreign_keys = ON')
  return db
}

/**
 * The named statements of `sql` on `db`, each prepared on first use, so a store can be opened on
 * a database that is not migrated yet (as `seamline migrate` does).
 */
export function lazyStatements<Name extends string>(
  db: SqliteDatabase,
  sql: Record<Name, string>,
): Record<Name, Database.Statement> {
  const cache = new Map<Name, Database.Statement>()
  const statements = {} as Record<Name, Database.Statement>
  for (const name of Object.keys(sql) as Name[]) {
    Object.defineProperty(statements, name, {
      get() {
        let statement = cache.get(name)
        if (!statement) cache.set(name, (statement = db.prepare(sql[name])))
        return statement
      },
    })
  }
  return statements
}
