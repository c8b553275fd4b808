import type pg from 'pg'
import { SeamlineError } from '../../errors/index.js'
import { readMigrations } from '../sql-files.js'
import { readStatements, rows, run, type Queryable } from './statements.js'
import { inTransaction } from './transaction.js'

const migrations = readMigrations(new URL('./migrations/', import.meta.url))
const s = readStatements(
  new URL('./migrate.sql', import.meta.url),
  ['lock', 'createTable', 'current', 'record'],
  'seamline_migrate',
)

async function current(db: Queryable): Promise<{ version: number; at: string }> {
  const [row] = await rows(db, s.current)
  return { version: Number(row?.version ?? 0), at: String(row?.at) }
}

/**
 * Brings the schema to the newest version, each migration in a transaction of its own under an
 * advisory lock, so processes starting together apply each migration once and a failed one
 * leaves nothing behind. Returns the versions this call applied.
 */
export async function migratePostgres(pool: pg.Pool): Promise<number[]> {
  const applied: number[] = []
  for (const migration of migrations) {
    await inTransaction(pool, async (client) => {
      await run(client, s.lock)
      await run(client, s.createTable)
      const { version, at } = await current(client)
      if (version >= migration.version) return
      try {
        await client.query(migration.sql)
      } catch (error) {
        throw new SeamlineError('SEAM_ERR_STORE_MIGRATION', {
          operation: 'migrate',
          target: `postgres ${at}`,
          reason: `failed at ${migration.version}_${migration.name}: ${String(error)}`,
          cause: error,
        })
      }
      await run(client, s.record, { version: migration.version, name: migration.name })
      applied.push(migration.version)
    })
  }
  // The loop above created the table, even when every migration was already applied.
  const { version, at } = await current(pool)
  if (version > migrations.length) {
    throw new SeamlineError('SEAM_ERR_STORE_MIGRATION', {
      operation: 'migrate',
      target: `postgres ${at}`,
      reason: `is at schema ${version}, newer than this version of Seamline knows (${migrations.length}); upgrade Seamline`,
    })
  }
  return applied
}
