import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { redisUrl, useRedisNamespace } from './helpers/redis.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

// Each helper is used in a first block; the block after it checks that its clean-up ran.

describe.skipIf(!pgUrl)('usePostgresSchema', () => {
  let schema = ''
  describe('inside a test file', () => {
    const db = usePostgresSchema()
    it('gives a fresh schema that unqualified names resolve to', async () => {
      schema = db.name
      expect((await db.pool.query('SELECT current_schema() AS s')).rows[0]).toEqual({ s: db.name })
      await db.pool.query('CREATE TABLE seamline_probe (id int PRIMARY KEY)')
      await db.pool.query('INSERT INTO seamline_probe VALUES (1)')
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      const { rows } = await client.query('SELECT id FROM seamline_probe')
      await client.end()
      expect(rows).toEqual([{ id: 1 }])
    })
  })

  it('drops the schema and everything in it afterwards', async () => {
    const client = new pg.Client({ connectionString: pgUrl as string })
    await client.connect()
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schema,
    ])
    await client.end()
    expect(schema).toMatch(/^seamline_test_[0-9a-f]{12}$/)
    expect(rowCount).toBe(0)
  })
})

describe.skipIf(!redisUrl)('useRedisNamespace', () => {
  let prefix = ''
  let probe: ReturnType<typeof useRedisNamespace> | undefined
  describe('inside a test file', () => {
    const redis = useRedisNamespace()
    probe = redis
    it('gives a prefix of its own on a connected client', async () => {
      prefix = redis.prefix
      await redis.client.set(`${redis.prefix}a`, '1')
      await redis.client.rpush(`${redis.prefix}b`, 'x', 'y')
      expect(await redis.client.get(`${redis.prefix}a`)).toBe('1')
    })
  })

  describe('afterwards', () => {
    const other = useRedisNamespace()
    it('has deleted every key under the prefix', async () => {
      expect(prefix).not.toBe('')
      expect(other.prefix).not.toBe(probe?.prefix)
      expect(await other.client.exists(`${prefix}a`, `${prefix}b`)).toBe(0)
    })
  })
})

describe('useTempSqliteFile', () => {
  let path = ''
  describe('inside a test file', () => {
    const file = useTempSqliteFile()
    it('gives a path where a WAL database can be created', () => {
      path = file
      const db = new Database(file)
      db.pragma('journal_mode = WAL')
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)')
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 })
      expect(existsSync(`${file}-wal`)).toBe(true)
      db.close()
    })
  })

  it('removes the database and its directory afterwards', () => {
    expect(path).not.toBe('')
    expect(existsSync(dirname(path))).toBe(false)
  })
})
