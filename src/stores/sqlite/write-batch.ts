import type { SqliteDatabase } from './connection.js'

interface Pending {
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: writes asked for in the same turn of the event loop share one `BEGIN IMMEDIATE`
 * transaction, so one sync of the log pays for all of them. Each write runs in a savepoint of its
 * own (one failing write undoes only itself), and every promise settles only after `COMMIT`
 * returned, never before.
 */
export function writeBatch(db: SqliteDatabase): <T>(work: () => T) => Promise<T> {
  let queue: Pending[] = []
  const savepoint = savepoints(db)

  const flush = (): void => {
    const batch = queue
    queue = []
    const outcomes: { ok: boolean; value: unknown }[] = []
    try {
      db.exec('BEGIN IMMEDIATE')
      for (const { work } of batch) outcomes.push(savepoint(work))
      db.exec('COMMIT')
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK')
      for (const { reject } of batch) reject(error)
      return
    }
    batch.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index] as { ok: boolean; value: unknown }
      if (outcome.ok) resolve(outcome.value)
      else reject(outcome.value)
    })
  }

  return <T>(work: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush)
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
    })
}

function savepoints(db: SqliteDatabase): (work: () => unknown) => { ok: boolean; value: unknown } {
  const open = db.prepare('SAVEPOINT seamline_write')
  const release = db.prepare('RELEASE seamline_write')
  const undo = db.prepare('ROLLBACK TO seamline_write')
  return (work) => {
    open.run()
    try {
      const value = work()
      release.run()
      return { ok: true, value }
    } catch (error) {
      undo.run()
      release.run()
      return { ok: false, value: error }
    }
  }
}
