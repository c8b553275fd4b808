import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from '../src/stores/index.js'
import { openSqlite } from '../src/stores/sqlite/connection.js'
import { readQueries } from '../src/stores/sql-files.js'
import { describeStoreConformance } from './conformance/stores.js'
import { expectCountsOfThreeJobs } from './helpers/job-counts.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()

describeStoreConformance('sqlite', {
  open: () => Promise.resolve(sqliteStore({ path })),
  inTransaction(work, end) {
    const db = new Database(path)
    try {
      db.exec('BEGIN IMMEDIATE')
      const result = work(db)
      if (result instanceof Promise) throw new Error('a SQLite transaction must be synchronous')
      db.exec(end === 'commit' ? 'COMMIT' : 'ROLLBACK')
      return Promise.resolve(result)
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK')
      db.close()
    }
  },
})

describe('sqlite store', () => {
  const file = useTempSqliteFile('settings.sqlite')

  it('syncs every commit in WAL mode unless NORMAL is asked for', () => {
    for (const [synchronous, level] of [
      [undefined, 2],
      ['full', 2],
      ['normal', 1],
    ] as const) {
      const db = openSqlite({ path: file, ...(synchronous && { synchronous }) })
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('synchronous', { simple: true })).toBe(level)
      db.close()
    }
  })

  it('counts jobs by state without reading completed ones', async () => {
    const path = file.replace('settings', 'counts')
    const store = sqliteStore({ path })
    const { counts } = readQueries(new URL('../src/stores/sqlite/jobs.sql', import.meta.url), [
      'counts',
    ])
    const db = new Database(path)
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${counts}`).all({ now: 0, names: null }) as {
        detail: string
      }[]
      expect(plan.length).toBeGreaterThan(0)
      // A bare SCAN reads the whole table; the partial indexes hold only their state's jobs.
      expect(plan.filter((step) => /^SCAN seamline_jobs$/.test(step.detail))).toEqual([])
      await expectCountsOfThreeJobs(store)
    } finally {
      db.close()
      await store.close()
    }
  })

  it('refuses a database migrated by a newer version', async () => {
    await sqliteStore({ path: file }).close()
    const db = new Database(file)
    db.prepare('INSERT INTO seamline_migrations VALUES (999, ?, 0)').run('from_the_future')
    db.close()
    expect(() => sqliteStore({ path: file })).toThrow(/newer than this version/)
  })
})
