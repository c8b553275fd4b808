import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createReconcile,
  fromIterable,
  postgresSource,
  sqliteSource,
} from '../src/reconcile/index.js'
import { FakeClock } from '../src/time/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'

describe.skipIf(!pgUrl)('a PostgreSQL source', () => {
  const schema = usePostgresSchema()

  beforeAll(async () => {
    await schema.pool.query(
      'CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric(12, 2), status text, due timestamptz)',
    )
    await schema.pool.query(`INSERT INTO invoices
      SELECT i, i * 1.5, CASE WHEN i % 500 = 0 THEN 'void' ELSE 'open' END, '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 hour'
      FROM generate_series(1, 2500) AS i`)
  })

  it('streams a query through a cursor in batches, and diffs it against SQLite in key order', async () => {
    const db = new Database(':memory:')
    db.exec(
      'CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount_cents INTEGER, status TEXT, due TEXT)',
    )
    const insert = db.prepare('INSERT INTO invoices VALUES (?, ?, ?, ?)')
    db.transaction(() => {
      for (let i = 1; i <= 2500; i++) {
        if (i === 1234) continue
        const due = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 3_600_000).toISOString()
        insert.run(i, i * 150, i === 2000 ? 'paid' : i % 500 === 0 ? 'void' : 'open', due)
      }
    })()
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('invoices', {
      keyType: 'number',
      fields: { total: 'total', status: 'status', due: { type: 'date' } },
      left: {
        source: postgresSource({
          pool: schema.pool,
          query: 'SELECT * FROM invoices WHERE id >= $1 ORDER BY id',
          params: [1],
          ordered: true,
          batchSize: 100,
        }),
      },
      right: {
        source: sqliteSource({ db, query: 'SELECT * FROM invoices ORDER BY id', ordered: true }),
        fields: { total: { from: 'amount_cents', shift: -2 } },
      },
    })
    const report = await reconcile.run('invoices')
    expect(report.engine).toBe('merge')
    expect(report.counts).toEqual({
      left: 2500,
      right: 2499,
      matched: 2498,
      missingInLeft: 0,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(report.samples).toEqual({
      missingInLeft: [],
      missingInRight: [1234],
      mismatched: [{ key: 2000, fields: { status: { left: 'void', right: 'paid' } } }],
    })
    db.close()
  })

  it('gives its connection back in a usable state when the reader stops early', async () => {
    const source = postgresSource({
      pool: schema.url,
      query: 'SELECT * FROM invoices ORDER BY id',
      batchSize: 10,
    })
    let seen = 0
    for await (const record of source) if (record && ++seen === 15) break
    expect(seen).toBe(15)
    const pooled = postgresSource({
      pool: schema.pool,
      query: 'SELECT id FROM invoices',
      batchSize: 7,
    })
    for (let i = 0; i < 6; i++) {
      for await (const record of pooled) if (record) break
    }
    // Every pooled connection came back outside a transaction.
    const { rows } = await schema.pool.query<{ status: string }>(
      "SELECT count(*)::text AS status FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()",
    )
    expect(rows[0]!.status).toBe('0')
  })

  it('looks keys up by the key column', async () => {
    const source = postgresSource({ pool: schema.pool, query: 'SELECT * FROM invoices', key: 'id' })
    const found: unknown[] = []
    for await (const batch of source.lookup!([7, 9, 99_999])) found.push(...batch.map((r) => r.id))
    expect(found.map(String).sort()).toEqual(['7', '9'])
  })

  it('names the source when its query fails', async () => {
    const source = postgresSource({
      pool: schema.pool,
      query: 'SELECT * FROM nowhere',
      name: 'crm',
    })
    await expect(async () => {
      for await (const _ of source) void _
    }).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_SOURCE',
      message: expect.stringContaining(
        'query postgres source crm failed: relation "nowhere" does not exist',
      ) as string,
    })
    // The failed transaction was rolled back: the pool still answers.
    expect((await schema.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('bisects two tables by key range, digesting in PostgreSQL, reading only what differs', async () => {
    await schema.pool.query('CREATE TABLE copy AS SELECT * FROM invoices')
    await schema.pool.query("UPDATE copy SET status = 'paid' WHERE id = 1500")
    await schema.pool.query('DELETE FROM copy WHERE id = 77')
    const side = (table: string) => ({
      source: postgresSource({
        pool: schema.pool,
        query: `SELECT * FROM ${table}`,
        key: 'id',
        digestColumns: ['total', 'status', 'due'],
        ordered: true,
      }),
    })
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('copies', {
      keyType: 'number',
      engine: 'bisect',
      bisect: { factor: 4, threshold: 100 },
      fields: { total: 'total', status: 'status', due: { type: 'date' } },
      left: side('invoices'),
      right: side('copy'),
    })
    const report = await reconcile.run('copies')
    expect(report.counts).toEqual({
      left: 2500,
      right: 2499,
      matched: 2498,
      missingInLeft: 0,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(report.samples.missingInRight).toEqual([77])
    expect(report.samples.mismatched).toEqual([
      { key: 1500, fields: { status: { left: 'void', right: 'paid' } } },
    ])
    expect(report.bisection!.rangesRead).toBe(2)

    const db = new Database(':memory:')
    reconcile.define('mixed', {
      keyType: 'number',
      engine: 'bisect',
      fields: ['status'],
      left: side('invoices'),
      right: { source: sqliteSource({ db, query: 'SELECT 1 AS id', key: 'id' }) },
    })
    await expect(reconcile.run('mixed')).rejects.toThrow(
      /digest ranges differently \(postgres and canonical\)/,
    )
    db.close()
  })

  it('takes any iterable on the other side', async () => {
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('some', {
      keyType: 'number',
      fields: ['status'],
      left: {
        source: postgresSource({
          pool: schema.pool,
          query: 'SELECT id, status FROM invoices WHERE id <= 3',
        }),
      },
      right: {
        source: fromIterable([
          { id: 3, status: 'open' },
          { id: 1, status: 'open' },
          { id: 2, status: 'open' },
        ]),
      },
    })
    expect((await reconcile.run('some')).counts.matched).toBe(3)
  })
})
