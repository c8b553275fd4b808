import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import {
  postgresStore,
  type JobRecord,
  type NewJob,
  type PostgresStoreOptions,
  type Store,
} from '../src/stores/index.js'
import { inline, readStatements, toPositional } from '../src/stores/postgres/statements.js'
import { describeStoreConformance } from './conformance/stores.js'
import { expectCountsOfThreeJobs } from './helpers/job-counts.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'

function job(name: string, overrides: Partial<NewJob> = {}): NewJob {
  return { name, payload: null, runAt: 0, priority: 0, maxAttempts: 3, maxRescues: 2, ...overrides }
}

/** Runs `work` in a transaction on a client of the caller's own. */
async function inCallerTransaction<T>(
  url: string,
  work: (tx: pg.Client) => T | Promise<T>,
  end: 'commit' | 'rollback',
): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query(end === 'commit' ? 'COMMIT' : 'ROLLBACK')
    return result
  } finally {
    if (client.getTransactionStatus() !== 'I') await client.query('ROLLBACK')
    await client.end()
  }
}

describe('named parameters', () => {
  it('become positional, leaving casts, strings, identifiers, comments and dollar quotes alone', () => {
    const sql = `SELECT :a::int, ':b', "c:d", $$ :e $$, $t$ :f $t$, arr[1:2], :a, :snake_case::text[] -- :g
      /* :h */ FROM x WHERE y::jsonb ? 'k'`
    expect(toPositional(sql)).toEqual({
      text: `SELECT $1::int, ':b', "c:d", $$ :e $$, $t$ :f $t$, arr[1:2], $1, $2::text[] -- :g
      /* :h */ FROM x WHERE y::jsonb ? 'k'`,
      params: ['a', 'snake_case'],
    })
  })
})

describe.skipIf(!pgUrl)('postgres store', () => {
  const schema = usePostgresSchema()
  const opened: Store[] = []
  const open = async (options: Partial<PostgresStoreOptions> = {}): Promise<Store> => {
    const store = await postgresStore({ url: schema.url, maxConnections: 4, ...options })
    opened.push(store)
    return store
  }
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })

  describeStoreConformance('postgres', {
    open: () => postgresStore({ url: schema.url, maxConnections: 4 }),
    inTransaction: (work, end) => inCallerTransaction(schema.url, work, end),
  })

  it('answers a large batch in input order, ids following it', async () => {
    const store = await open()
    const name = `batch-${randomUUID()}`
    const jobs = Array.from({ length: 500 }, (_, n) =>
      job(name, { payload: n, ...(n % 100 === 99 && { key: 'every-hundredth' }) }),
    )
    const results = await store.jobs.enqueue(jobs, 0)
    const inserted = results.filter((r) => r.outcome === 'inserted').map((r) => Number(r.id))
    expect(inserted).toHaveLength(496)
    expect(inserted).toEqual([...inserted].sort((a, b) => a - b))
    const keyed = results.filter((_, n) => n % 100 === 99)
    expect(keyed.map((r) => r.outcome)).toEqual(['inserted', 'kept', 'kept', 'kept', 'kept'])
    expect(new Set(keyed.map((r) => r.id)).size).toBe(1)
    const second = await store.jobs.get(results[1]?.id ?? '')
    expect(second?.payload).toBe(1)
  })

  it('runs at most the group limit across stores claiming at once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => open()))
    const name = `group-race-${randomUUID()}`
    const groupKey = `g-${randomUUID()}`
    const limit = 3
    const total = 80
    await stores[0]?.jobs.enqueue(
      Array.from({ length: total }, (_, n) =>
        job(name, { groupKey, groupLimit: limit, payload: n }),
      ),
      0,
    )
    // Counted down before a settle is sent and up after a claim returned, so this count is never
    // above the database's: were it ever above the limit, the database's would have been too.
    let running = 0
    let most = 0
    let completed = 0
    const seenInDatabase: number[] = []
    await Promise.all(
      stores.map(async (store, w) => {
        let held: JobRecord[] = []
        while (completed < total) {
          running -= held.length
          const { claimed } = await store.jobs.cycle({
            now: 1_000,
            settle: held.map((j) => ({ id: j.id, delivery: j.deliveries, kind: 'completed' })),
            claim: { names: [name], owner: `w${w}`, limit: 2, leaseMs: 60_000 },
          })
          completed += held.length
          running += claimed.length
          most = Math.max(most, running)
          seenInDatabase.push((await store.jobs.counts([name], 1_000)).running)
          held = claimed
          if (claimed.length === 0) await new Promise((resolve) => setImmediate(resolve))
        }
      }),
    )
    expect(most).toBeLessThanOrEqual(limit)
    expect(Math.max(...seenInDatabase)).toBeLessThanOrEqual(limit)
    expect(await stores[0]?.jobs.count({ name, state: 'completed' })).toBe(total)
  })

  describe('notifications', () => {
    /** Enqueues from `sender` until `heard` has the name: the listener connects in the background. */
    async function untilHeard(sender: Store, heard: string[]): Promise<string> {
      const name = `notify-${randomUUID()}`
      await expect
        .poll(async () => {
          await sender.jobs.enqueue([job(name)], 0)
          return heard
        })
        .toContain(name)
      return name
    }

    it('wakes the listeners of another store', async () => {
      const [listening, sending] = await Promise.all([open(), open()])
      const heard: string[] = []
      const stop = listening.onJobsEnqueued((names) => heard.push(...names))
      await untilHeard(sending, heard)
      stop()
    })

    it("tells of jobs enqueued in a caller's transaction once it commits, never on rollback", async () => {
      const [listening, sending] = await Promise.all([open(), open()])
      const heard: string[] = []
      listening.onJobsEnqueued((names) => heard.push(...names))
      await untilHeard(sending, heard)
      const [rolledBack, committed] = [`tx-${randomUUID()}`, `tx-${randomUUID()}`]
      await inCallerTransaction(
        schema.url,
        (tx) => sending.jobs.enqueueInTx(tx, [job(rolledBack)], 0),
        'rollback',
      )
      await inCallerTransaction(
        schema.url,
        (tx) => sending.jobs.enqueueInTx(tx, [job(committed)], 0),
        'commit',
      )
      // Notifications arrive in commit order: the committed one's arrival settles the other.
      await expect.poll(() => heard).toContain(committed)
      expect(heard).not.toContain(rolledBack)
    })

    it('listens again after its connection drops, and says so with *', async () => {
      const application = `seamline-listen-${randomUUID().slice(0, 8)}`
      const url = new URL(schema.url)
      url.searchParams.set('application_name', application)
      const errors: unknown[] = []
      const listening = await open({ url: url.toString(), onError: (e) => errors.push(e) })
      const sending = await open()
      const heard: string[] = []
      listening.onJobsEnqueued((names) => heard.push(...names))
      await untilHeard(sending, heard)
      await schema.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = $1 AND query = 'LISTEN seamline_jobs'`,
        [application],
      )
      await expect.poll(() => heard).toContain('*')
      await untilHeard(sending, heard)
      expect(errors.length).toBeGreaterThanOrEqual(1)
    })
  })

  describe("the caller's transaction handle", () => {
    it('refuses a pool, and a client with no transaction open', async () => {
      const store = await open()
      const refusal = (work: () => unknown): unknown => {
        try {
          work()
        } catch (error) {
          return error
        }
        return undefined
      }
      expect(refusal(() => store.jobs.enqueueInTx(schema.pool, [job('x')], 0))).toMatchObject({
        code: 'SEAM_ERR_STORE_TRANSACTION',
        message: expect.stringMatching(/is a pg\.Pool/) as unknown,
      })
      const client = new pg.Client({ connectionString: schema.url })
      await client.connect()
      try {
        expect(
          refusal(() => store.jobs.completeInTx(client, { id: '1', delivery: 1 }, 0)),
        ).toMatchObject({
          code: 'SEAM_ERR_STORE_TRANSACTION',
          message: expect.stringMatching(/no transaction open/) as unknown,
        })
      } finally {
        await client.end()
      }
    })
  })
})

describe.skipIf(!pgUrl)('postgres migrations', () => {
  const schema = usePostgresSchema()

  it('applies each migration once when several processes migrate together', async () => {
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        postgresStore({ url: schema.url, migrate: false, maxConnections: 2 }),
      ),
    )
    try {
      const applied = (await Promise.all(stores.map((store) => store.migrate()))).flat()
      expect(applied).toContain(1)
      expect(new Set(applied).size).toBe(applied.length)
      const recorded = await schema.pool.query('SELECT version FROM seamline_migrations')
      expect(recorded.rowCount).toBe(applied.length)
      expect(await stores[0]?.migrate()).toEqual([])
      // Enqueues and claims write no entry into the index of finished jobs.
      const { rows } = await schema.pool.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'seamline_jobs_finished' AND schemaname = current_schema()",
      )
      expect(rows[0]?.indexdef).toMatch(
        /WHERE \(state = ANY \(ARRAY\['completed'::text, 'dead'::text\]\)\)/,
      )
    } finally {
      await Promise.all(stores.map((store) => store.close()))
    }
  })

  it('refuses a database migrated by a newer version', async () => {
    await schema.pool.query("INSERT INTO seamline_migrations VALUES (999, 'from_the_future', 0)")
    await expect(postgresStore({ url: schema.url })).rejects.toMatchObject({
      code: 'SEAM_ERR_STORE_MIGRATION',
      message: expect.stringMatching(/newer than this version/) as unknown,
    })
  })
})

describe.skipIf(!pgUrl)('postgres job counts', () => {
  const schema = usePostgresSchema()

  it('read no completed job, however many are kept', async () => {
    const store = await postgresStore({ url: schema.url, maxConnections: 2 })
    try {
      await schema.pool.query(`
        INSERT INTO seamline_jobs (name, payload, state, run_at, created_at, updated_at,
                                   max_attempts, max_rescues, idempotency_key, finished_at)
        SELECT 'done', '{}', 'completed', 1, 1, 1, 1, 0, 'k' || g, 1
          FROM generate_series(1, 20000) g`)
      await expectCountsOfThreeJobs(store)
      await schema.pool.query('ANALYZE seamline_jobs')
      const { counts } = readStatements(
        new URL('../src/stores/postgres/jobs.sql', import.meta.url),
        ['counts'],
        'plan',
      )
      const values: Record<string, unknown> = { now: 1_000, names: null }
      const { rows } = await schema.pool.query<{ 'QUERY PLAN': unknown }>({
        text: `EXPLAIN (FORMAT JSON) ${counts.text}`,
        values: counts.params.map((param) => values[param]),
      })
      const scans = JSON.stringify(rows[0]?.['QUERY PLAN']).match(/"Node Type":"[^"]*Scan"/g)
      expect(scans?.length).toBeGreaterThan(0)
      expect(scans?.filter((scan) => scan.includes('Seq Scan'))).toEqual([])
    } finally {
      await store.close()
    }
  })
})

describe.skipIf(!pgUrl)('statements written inline', () => {
  it('round-trips text, numbers, null, text arrays and JSON through PostgreSQL exactly', async () => {
    const client = new pg.Client({ connectionString: pgUrl ?? '' })
    await client.connect()
    try {
      const sql =
        'SELECT :a::text AS a, :b::text[] AS b, :n::bigint AS n, :z::text AS z, :j::jsonb AS j'
      const statement = { name: 'inline_test', text: '', params: [], sql }
      const values = {
        a: `it's a "quote" \\ back\\slash; -- not a comment`,
        b: ['plain', 'with,comma', '{braces}', 'NULL', 'quote"d', 'back\\slash', ''],
        n: 1_764_000_000_123,
        z: null,
        j: JSON.stringify({ text: "o'clock", nested: [1, 'two', null] }),
      }
      const { rows } = await client.query(inline(statement, values))
      expect(rows[0]).toEqual({
        a: values.a,
        b: values.b,
        n: String(values.n),
        z: null,
        j: { text: "o'clock", nested: [1, 'two', null] },
      })
    } finally {
      await client.end()
    }
  })
})
