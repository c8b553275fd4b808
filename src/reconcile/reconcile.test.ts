import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createJobs } from '../jobs/index.js'
import { sqliteStore } from '../stores/index.js'
import { FakeClock } from '../time/index.js'
import {
  createReconcile,
  csvSource,
  fileReports,
  fromIterable,
  jsonLinesSource,
  sqliteSource,
  storeReports,
  summarizeRecords,
  type ReconcileReport,
  type SourceRecord,
} from './index.js'

const temp = mkdtempSync(join(tmpdir(), 'seamline-reconcile-unit-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const subs = (n: number, status = (i: number) => (i % 3 === 0 ? 'canceled' : 'active')) =>
  Array.from({ length: n }, (_, i) => ({
    id: `sub_${String(i).padStart(4, '0')}`,
    status: status(i),
  }))

describe('runs and reports', () => {
  it('stores each report, with the delta against the previous run and its alerts', async () => {
    const clock = new FakeClock()
    const reconcile = createReconcile({ clock })
    let right: SourceRecord[] = subs(10)
    reconcile.define('subs', {
      fields: ['status'],
      left: { source: fromIterable(() => subs(10), { name: 'stripe' }) },
      right: { source: fromIterable(() => right, { name: 'db' }) },
      alerts: { driftRate: 0.05, missing: 0 },
    })
    const alerts: string[] = []
    reconcile.events.on('reconcile:alert', (e) => alerts.push(...e.alerts.map((a) => a.threshold)))

    const first = await reconcile.run('subs')
    expect(first.counts.matched).toBe(10)
    expect(first.delta).toBeUndefined()
    expect(first.alerts).toEqual([])

    right = subs(9, () => 'active') // sub_0009 missing; canceled ones now active
    await clock.advance(60_000)
    const second = await reconcile.run('subs')
    expect(second.counts).toEqual({
      left: 10,
      right: 9,
      matched: 6,
      missingInLeft: 0,
      missingInRight: 1,
      mismatched: 3,
    })
    expect(second.delta).toEqual({
      previousId: first.id,
      driftRate: 0.4,
      matched: -4,
      missingInLeft: 0,
      missingInRight: 1,
      mismatched: 3,
    })
    expect(second.alerts).toEqual([
      { threshold: 'driftRate', limit: 0.05, value: 0.4 },
      { threshold: 'missing', limit: 0, value: 1 },
    ])
    expect(alerts).toEqual(['driftRate', 'missing'])
    expect(await reconcile.listReports({ name: 'subs' })).toMatchObject([
      { id: second.id },
      { id: first.id },
    ])
    expect(await reconcile.getReport(first.id)).toEqual(first)
    await expect(reconcile.getReport('rec_nope')).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_NOT_FOUND',
    })
    await expect(reconcile.run('nope')).rejects.toThrow(
      /reconcile run nope is not defined \(defined: subs\)/,
    )
  })

  it('keeps reports in the Seamline store, where lists read their summaries', async () => {
    const store = sqliteStore({ path: ':memory:' })
    try {
      const clock = new FakeClock()
      const reconcile = createReconcile({ clock, reports: storeReports(store) })
      reconcile.define('r', {
        fields: ['status'],
        left: { source: fromIterable(subs(4)) },
        right: { source: fromIterable(subs(3)) },
      })
      const first = await reconcile.run('r')
      await clock.advance(1_000)
      const second = await reconcile.run('r')
      expect(second.delta).toMatchObject({ previousId: first.id, missingInRight: 0 })
      expect(await reconcile.getReport(first.id)).toEqual(first)
      expect(await reconcile.listReports({ name: 'r' })).toEqual([
        expect.objectContaining({ id: second.id, engine: 'partition', counts: second.counts }),
        expect.objectContaining({ id: first.id, driftRate: 0.25 }),
      ])
    } finally {
      await store.close()
    }
  })

  it('keeps reports as JSON files', async () => {
    const reports = fileReports(join(temp, 'reports'))
    const reconcile = createReconcile({ clock: new FakeClock(), reports })
    reconcile.define('r', {
      fields: ['status'],
      left: { source: fromIterable(subs(3)) },
      right: { source: fromIterable(subs(2)) },
    })
    const report = await reconcile.run('r')
    expect(await reports.get(report.id)).toEqual(report)
    expect(await reports.latest('r')).toEqual(report)
  })
})

describe('repair', () => {
  const define = (reconcile: ReturnType<typeof createReconcile>) =>
    reconcile.define('subs', {
      fields: ['status'],
      left: { source: fromIterable(subs(6)) },
      right: { source: fromIterable(subs(4, () => 'active')) },
      repair: (finding) =>
        finding.kind === 'missing-in-left'
          ? undefined
          : { job: 'sync-subscription', payload: { id: finding.key } },
    })

  it('plans repairs in a dry run (the default) and enqueues them as durable jobs when applied', async () => {
    const store = sqliteStore({ path: ':memory:' })
    try {
      const clock = new FakeClock()
      const jobs = createJobs({ store, clock })
      const reconcile = createReconcile({ clock, jobs })
      define(reconcile)
      const dry = await reconcile.run('subs')
      // sub_0000 and sub_0003 differ; sub_0004 and sub_0005 are missing on the right.
      expect(dry.repair).toMatchObject({ dryRun: true, planned: 4, enqueued: 0 })
      expect(dry.repair.samples.map((a) => a.options?.key)).toEqual([
        'sync-subscription:sub_0000',
        'sync-subscription:sub_0003',
        'sync-subscription:sub_0004',
        'sync-subscription:sub_0005',
      ])
      expect(await store.jobs.count({ name: 'sync-subscription' })).toBe(0)

      const applied = await reconcile.run('subs', { repair: 'apply' })
      expect(applied.repair).toMatchObject({ dryRun: false, planned: 4, enqueued: 4 })
      const queued = await store.jobs.list({ name: 'sync-subscription' })
      expect(
        queued
          .map((j) => j.payload)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      ).toEqual(['sub_0000', 'sub_0003', 'sub_0004', 'sub_0005'].map((id) => ({ id })))
      // A second run while they are pending queues nothing new: each repair has a key.
      await reconcile.run('subs', { repair: 'apply' })
      expect(await store.jobs.count({ name: 'sync-subscription' })).toBe(4)
    } finally {
      await store.close()
    }
  })

  it('refuses to apply repairs without jobs', async () => {
    const reconcile = createReconcile({ clock: new FakeClock() })
    define(reconcile)
    await expect(reconcile.run('subs', { repair: 'apply' })).rejects.toThrow(/no jobs were given/)
  })
})

describe('scheduling', () => {
  it('runs a reconciler with every as a durable scheduled job', async () => {
    const store = sqliteStore({ path: ':memory:' })
    const clock = new FakeClock()
    const jobs = createJobs({ store, clock })
    const reconcile = createReconcile({ clock, jobs })
    try {
      reconcile.define('subs', {
        fields: ['status'],
        left: { source: fromIterable(subs(3)) },
        right: { source: fromIterable(subs(3)) },
        every: '1h',
      })
      const finished = new Promise<ReconcileReport>((resolve) =>
        reconcile.events.on('reconcile:finished', (e) => resolve(e.report)),
      )
      jobs.start()
      await clock.advance(3_600_000)
      const report = await finished
      expect(report.counts.matched).toBe(3)
      expect(await store.jobs.count({ name: 'reconcile:subs' })).toBeGreaterThan(0)
    } finally {
      await jobs.stop()
      await store.close()
    }
  })

  it('refuses a schedule without jobs, and an interval it cannot read', () => {
    const reconcile = createReconcile({ clock: new FakeClock() })
    const base = {
      fields: ['a'],
      left: { source: fromIterable([]) },
      right: { source: fromIterable([]) },
    }
    expect(() => reconcile.define('a', { ...base, every: '1h' })).toThrow(/no jobs to run it/)
    const store = sqliteStore({ path: ':memory:' })
    const withJobs = createReconcile({ jobs: createJobs({ store }) })
    expect(() => withJobs.define('b', { ...base, every: 'hourly' })).toThrow(/not an interval/)
    return store.close()
  })
})

describe('incremental runs', () => {
  it('reads the window since the last watermark, less the overlap, and looks up what looks missing', async () => {
    const clock = new FakeClock({ now: 1_000_000 })
    const left = [
      { id: 'a', status: 'active', updated: 100_000 },
      { id: 'b', status: 'active', updated: 200_000 },
    ]
    const right = [
      { id: 'a', status: 'active', updated: 100_000 },
      { id: 'b', status: 'active', updated: 200_000 },
    ]
    const lookups: string[][] = []
    const byId = (rows: SourceRecord[]) => (keys: readonly (string | number)[]) => {
      lookups.push(keys.map(String))
      return rows.filter((r) => keys.includes(r.id as string))
    }
    const reconcile = createReconcile({ clock })
    reconcile.define('inc', {
      fields: ['status'],
      left: { source: fromIterable(() => left, { lookup: byId(left) }), watermark: 'updated' },
      right: { source: fromIterable(() => right, { lookup: byId(right) }), watermark: 'updated' },
      incremental: { overlapMs: 10_000, settleMs: 1_000 },
    })
    const first = await reconcile.run('inc')
    expect(first).toMatchObject({ mode: 'full', watermarkAfter: 200_000, counts: { matched: 2 } })

    // a changes on the left only (the right has not caught up); c is new on the left; b's old
    // change is outside the window.
    left[0] = { id: 'a', status: 'canceled', updated: 500_000 }
    left.push({ id: 'c', status: 'active', updated: 600_000 })
    right.push({ id: 'd', status: 'active', updated: 195_000 }) // inside the overlap
    const second = await reconcile.run('inc')
    expect(second).toMatchObject({
      mode: 'incremental',
      window: { from: 190_000, to: 999_000 },
      watermarkBefore: 200_000,
      watermarkAfter: 600_000,
      unconfirmedMissing: 0,
    })
    expect(second.counts).toEqual({
      left: 3,
      right: 3,
      matched: 1,
      missingInLeft: 1,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(second.samples).toEqual({
      missingInLeft: ['d'],
      missingInRight: ['c'],
      mismatched: [{ key: 'a', fields: { status: { left: 'canceled', right: 'active' } } }],
    })
    expect(lookups).toEqual([['a', 'c'], ['d']])
  })
})

describe('bisection', () => {
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: i + 1, amount: (i * 7) % 1000, status: 'ok' }))

  it('descends only into differing ranges and reads only those', async () => {
    const left = rows(20_000)
    const right = rows(20_000)
    right[12_345] = { ...right[12_345]!, amount: 99_999 }
    right.splice(17_000, 1)
    const keyOf = (r: SourceRecord) => r.id as number
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('b', {
      fields: ['amount', 'status'],
      keyType: 'number',
      engine: 'bisect',
      bisect: { factor: 8, threshold: 200 },
      left: {
        source: { ...fromIterable(left, { ordered: true }), ranges: summarizeRecords(left, keyOf) },
      },
      right: {
        source: {
          ...fromIterable(right, { ordered: true }),
          ranges: summarizeRecords(right, keyOf),
        },
      },
    })
    const report = await reconcile.run('b')
    expect(report.counts).toEqual({
      left: 20_000,
      right: 19_999,
      matched: 19_998,
      missingInLeft: 0,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(report.samples.missingInRight).toEqual([17_001])
    expect(report.samples.mismatched).toEqual([
      { key: 12_346, fields: { amount: { left: 415, right: 99999 } } },
    ])
    expect(report.bisection!.rangesRead).toBe(2)
    // 1 for the whole range, 8 segments of 2,500, then 8 of 313 and 8 of 40 under each of the
    // two differing ones: a full descent would take thousands.
    expect(report.bisection!.summaries).toBe(1 + 8 + 16 + 16)
  })

  it('bisects SQLite tables, digesting ranges inside SQLite', async () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE a (id INTEGER PRIMARY KEY, amount REAL, status TEXT)')
    db.exec('CREATE TABLE b (id INTEGER PRIMARY KEY, total TEXT, status TEXT)')
    const insertA = db.prepare('INSERT INTO a VALUES (?, ?, ?)')
    const insertB = db.prepare('INSERT INTO b VALUES (?, ?, ?)')
    db.transaction(() => {
      for (let i = 1; i <= 5_000; i++) {
        insertA.run(i, i / 4, 'ok')
        if (i !== 4_000) insertB.run(i, i === 77 ? '0' : (i / 4).toFixed(2), 'ok')
      }
    })()
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('sql', {
      fields: { amount: 'amount', status: 'status' },
      keyType: 'number',
      engine: 'bisect',
      bisect: { factor: 4, threshold: 100 },
      left: { source: sqliteSource({ db, query: 'SELECT * FROM a', key: 'id', ordered: true }) },
      right: {
        source: sqliteSource({ db, query: 'SELECT * FROM b', key: 'id', ordered: true }),
        fields: { amount: 'total' },
      },
    })
    const report = await reconcile.run('sql')
    expect(report.counts).toMatchObject({
      left: 5_000,
      right: 4_999,
      matched: 4_998,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(report.samples.mismatched).toEqual([
      { key: 77, fields: { amount: { left: 19.25, right: 0 } } },
    ])
    expect(report.bisection!.rangesRead).toBe(2)
    db.close()
  })
})

describe('file and SQLite sources', () => {
  it('reads JSON lines and CSV, and a SQLite query, to the same findings', async () => {
    const jsonl = join(temp, 'a.jsonl')
    writeFileSync(
      jsonl,
      [
        '{"id":"1","total":10.5,"state":"paid"}',
        '',
        '{"id":"2","total":3,"state":"open"}',
        '{"id":"3","total":1,"state":"open"}',
      ].join('\n'),
    )
    const csv = join(temp, 'b.csv')
    writeFileSync(csv, 'id,amount,status\r\n1,1050,paid\r\n2,300,"void"\r\n4,100,open\r\n')
    const db = new Database(':memory:')
    db.exec(
      "CREATE TABLE t (id TEXT, amount INTEGER, status TEXT); INSERT INTO t VALUES ('1', 1050, 'paid'), ('2', 300, 'void'), ('4', 100, 'open')",
    )
    const run = async (right: ReturnType<typeof csvSource>) => {
      const reconcile = createReconcile({ clock: new FakeClock() })
      reconcile.define('f', {
        fields: { amount: { type: 'decimal' }, status: 'status' },
        left: {
          source: jsonLinesSource(jsonl, { ordered: true }),
          fields: { amount: 'total', status: 'state' },
        },
        right: {
          source: right,
          fields: { amount: { from: 'amount', type: 'decimal', shift: -2 } },
        },
      })
      return reconcile.run('f')
    }
    for (const right of [
      csvSource(csv, { ordered: true, chunkBytes: 7 }),
      sqliteSource({ db, query: 'SELECT * FROM t ORDER BY id', ordered: true }),
    ]) {
      const report = await run(right)
      expect(report.engine).toBe('merge')
      expect(report.counts).toEqual({
        left: 3,
        right: 3,
        matched: 1,
        missingInLeft: 1,
        missingInRight: 1,
        mismatched: 1,
      })
      expect(report.samples.mismatched).toEqual([
        { key: '2', fields: { status: { left: 'open', right: 'void' } } },
      ])
    }
    db.close()
  })

  it('names the file and line of a bad JSON line, and a CSV row of the wrong width', async () => {
    const bad = join(temp, 'bad.jsonl')
    writeFileSync(bad, '{"id":"1"}\n{"id":\n')
    const source = jsonLinesSource(bad)
    await expect(async () => {
      for await (const _ of source) void _
    }).rejects.toThrow(/bad\.jsonl has a line 2 that is not JSON/)
    const wide = join(temp, 'wide.csv')
    writeFileSync(wide, 'id,a\n1,2,3\n')
    await expect(async () => {
      for await (const _ of csvSource(wide)) void _
    }).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_SOURCE',
      message: expect.stringContaining('3 fields where the header has 2') as string,
    })
    await expect(async () => {
      for await (const _ of jsonLinesSource(join(temp, 'none.jsonl'))) void _
    }).rejects.toThrow(/none\.jsonl cannot be read \(ENOENT\)/)
  })
})
