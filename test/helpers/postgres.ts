import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'

/** The reachable PostgreSQL URL, or null outside CI when none answers (tests skip themselves). */
export const pgUrl = inject('pgUrl')

export interface PostgresSchema {
  /** The schema's name, unique to this test file. */
  readonly name: string
  /** A connection string whose sessions have `search_path` set to the schema. */
  readonly url: string
  /** A pool connected with `url`, ended after the file's tests. */
  readonly pool: pg.Pool
}

/**
 * Gives the calling test file a fresh PostgreSQL schema of its own, dropped with everything in
 * it after the file's tests. Call at the top of a `describe.skipIf(!pgUrl)` block.
 */
export function usePostgresSchema(): PostgresSchema {
  const name = `seamline_test_${randomBytes(6).toString('hex')}`
  let pool: pg.Pool | undefined
  let url: string | undefined
  let admin: pg.Client | undefined

  beforeAll(async () => {
    if (!pgUrl)
      throw new Error('usePostgresSchema() needs PostgreSQL; guard with describe.skipIf(!pgUrl)')
    admin = new pg.Client({ connectionString: pgUrl })
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${name}`)
    const withSchema = new URL(pgUrl)
    withSchema.searchParams.set('options', `-c search_path=${name}`)
    url = withSchema.toString()
    pool = new pg.Pool({ connectionString: url, max: 4 })
  })

  afterAll(async () => {
    await pool?.end()
    await admin?.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
    await admin?.end()
  })

  return {
    name,
    get url() {
      if (!url) throw new Error('the schema exists only inside tests and hooks')
      return url
    },
    get pool() {
      if (!pool) throw new Error('the schema exists only inside tests and hooks')
      return pool
    },
  }
}
