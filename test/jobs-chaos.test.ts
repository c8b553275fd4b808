import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createJobs } from '../src/jobs/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { postgresStore, sqliteStore, type Store } from '../src/stores/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const worker = fileURLToPath(new URL('./fixtures/chaos-worker.mjs', import.meta.url))

function spawnWorker(storeUrl: string, sim: Simulator): ChildProcess {
  const child = spawn(process.execPath, [worker, storeUrl, sim.url, sim.credentials.apiKey ?? ''], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const sqlitePath = useTempSqliteFile()

/**
 * Three worker processes work the jobs, each charging through the simulator and then
 * recording a local effect with the job's completion, while a random one is SIGKILLed and
 * replaced, spread over the work, until `kills` kills were made.
 */
async function chaos(
  store: Store,
  storeUrl: string,
  effects: () => Promise<{ rows: number; jobs: number }>,
  { jobCount, kills: minimumKills }: { jobCount: number; kills: number },
) {
  const sim = await createSimulator({
    profile: 'stripe',
    seed: 7,
    stripe: { ratePerSecond: 1e9, concurrency: 1e9 },
  })
  const producer = createJobs({ store })
  for (let n = 0; n < jobCount; n += 1_000) {
    await producer.enqueueMany(
      Array.from({ length: 1_000 }, (_, i) => ({
        name: 'charge',
        payload: { n: n + i },
        options: { maxRescues: 50 },
      })),
    )
  }
  const workers = Array.from({ length: 3 }, () => spawnWorker(storeUrl, sim))
  let kills = 0
  // Kills are spread over the work's progress, not the clock, so they all land while jobs are
  // still running however fast this machine processes them.
  const step = jobCount / (minimumKills + 10)
  let nextKillAt = Math.random() * step
  const started = Date.now()
  const deadline = started + 150_000
  try {
    for (;;) {
      const completed = await store.jobs.count({ name: 'charge', state: 'completed' })
      if (completed === jobCount) break
      if (Date.now() > deadline) throw new Error(`only ${completed} of ${jobCount} jobs completed`)
      await sleep(10 + Math.random() * 40)
      if (kills < minimumKills && completed >= nextKillAt) {
        const victim = Math.floor(Math.random() * workers.length)
        workers[victim]?.kill('SIGKILL')
        kills++
        workers[victim] = spawnWorker(storeUrl, sim)
        nextKillAt = completed + step * (0.5 + Math.random())
      }
    }
  } finally {
    for (const child of workers) child.kill('SIGKILL')
    await sim.close()
  }
  const stats = sim.stats().routes['POST /v1/charges']
  const all = await store.jobs.list({ name: 'charge', limit: jobCount + 1 })
  return {
    seconds: (Date.now() - started) / 1_000,
    kills,
    completed: all.filter((job) => job.state === 'completed').length,
    rescues: all.reduce((sum, job) => sum + job.rescues, 0),
    redeliveries: all.reduce((sum, job) => sum + job.deliveries - 1, 0),
    effects: await effects(),
    charges: stats?.executions ?? 0,
    duplicateCharges:
      (stats?.duplicateExecutionsByIdempotencyKey ?? 0) +
      (stats?.duplicateExecutionsByOperation ?? 0),
    requests: stats?.requests ?? 0,
  }
}

function expectEffectivelyOnce(result: Awaited<ReturnType<typeof chaos>>, jobCount: number) {
  expect(result.completed).toBe(jobCount)
  expect(result.effects).toEqual({ rows: jobCount, jobs: jobCount })
  expect(result.charges).toBe(jobCount)
  expect(result.duplicateCharges).toBe(0)
}

describe('kill -9 while jobs call a provider', () => {
  it('SQLite: loses no job, repeats no local effect, and the provider executes each charge once', async () => {
    const path = sqlitePath
    const store = sqliteStore({ path })
    const app = new Database(path)
    try {
      app.exec('CREATE TABLE chaos_effects (job_id TEXT NOT NULL, n INTEGER NOT NULL)')
      const effects = () =>
        Promise.resolve(
          app
            .prepare('SELECT count(*) AS rows, count(DISTINCT job_id) AS jobs FROM chaos_effects')
            .get() as { rows: number; jobs: number },
        )
      const result = await chaos(store, path, effects, { jobCount: 10_000, kills: 30 })
      console.log(`kill -9 (SQLite): ${JSON.stringify(result)}`)
      expect(result.kills).toBeGreaterThanOrEqual(30)
      expectEffectivelyOnce(result, 10_000)
      // The kills did interrupt work: some jobs ran again, each time with the same key.
      expect(result.rescues).toBeGreaterThan(0)
      expect(result.requests).toBeGreaterThan(10_000)
    } finally {
      app.close()
      await store.close()
    }
  }, 200_000)

  describe.skipIf(!pgUrl)('PostgreSQL', () => {
    const schema = usePostgresSchema()
    const effects = async () => {
      const { rows } = await schema.pool.query<{ rows: string; jobs: string }>(
        'SELECT count(*) AS rows, count(DISTINCT job_id) AS jobs FROM chaos_effects',
      )
      return { rows: Number(rows[0]?.rows), jobs: Number(rows[0]?.jobs) }
    }

    it('three worker processes on one database run 5,000 jobs exactly once', async () => {
      const store = await postgresStore({ url: schema.url })
      try {
        await schema.pool.query(
          'CREATE TABLE chaos_effects (job_id TEXT NOT NULL, n INTEGER NOT NULL)',
        )
        const result = await chaos(store, schema.url, effects, { jobCount: 5_000, kills: 0 })
        console.log(`3 processes (PostgreSQL): ${JSON.stringify(result)}`)
        expectEffectivelyOnce(result, 5_000)
        // Without kills nearly every job is one request. On a loaded machine a worker may stall
        // past its lease, or a reused socket may reset, and the job is tried again with the
        // same key (which the provider deduplicates, as checked above); that stays rare.
        expect(result.requests).toBeGreaterThanOrEqual(5_000)
        expect(result.requests).toBeLessThan(5_050)
        expect(result.redeliveries).toBeLessThan(50)
      } finally {
        await schema.pool.query('DROP TABLE IF EXISTS chaos_effects')
        await store.close()
      }
    }, 200_000)

    it('kill -9: loses no job, repeats no local effect, and the provider executes each charge once', async () => {
      const store = await postgresStore({ url: schema.url })
      try {
        await schema.pool.query('DELETE FROM seamline_jobs')
        await schema.pool.query(
          'CREATE TABLE chaos_effects (job_id TEXT NOT NULL, n INTEGER NOT NULL)',
        )
        const result = await chaos(store, schema.url, effects, { jobCount: 10_000, kills: 30 })
        console.log(`kill -9 (PostgreSQL): ${JSON.stringify(result)}`)
        expect(result.kills).toBeGreaterThanOrEqual(30)
        expectEffectivelyOnce(result, 10_000)
        expect(result.rescues).toBeGreaterThan(0)
      } finally {
        await store.close()
      }
    }, 200_000)
  })
})
