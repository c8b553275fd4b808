import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Queue, Worker, createPostgresBackend } from 'bullmq'
import { Logger as GraphileLogger, makeWorkerUtils, run } from 'graphile-worker'
import { Redis } from 'ioredis'
import pg from 'pg'
import PgBoss from 'pg-boss'
import type { Benchmark } from '../harness.js'
import { sleep } from '../load.js'
import { createJobs, postgresStore } from '../../dist/jobs/index.js'

// Durable PostgreSQL job queues in one process: Seamline against pg-boss, graphile-worker and
// BullMQ's PostgreSQL backend, each run in a schema of its own that is dropped afterwards, with
// BullMQ on Redis as a reference.

const pgUrl = process.env.SEAMLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.SEAMLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const chunk = 1_000
const concurrency = 100
const connections = 10
const name = 'noop'
const payload = (n: number) => ({ n, text: 'hello world' })

const tag = randomBytes(4).toString('hex')
let runs = 0
let admin: pg.Pool | undefined

/** A schema of its own for one run; `drop` removes it with everything in it. */
async function freshSchema(subject: string) {
  const schema = `bench_jobs_${tag}_${subject}_${runs++}`
  await admin!.query(`CREATE SCHEMA ${schema}`)
  return {
    schema,
    /** The connection string with the schema first on the search path. */
    url: `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => void (await admin!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
  }
}

/** Chunks of `chunk` payloads, numbered from 0. */
function* chunks(ops: number): Generator<{ n: number; text: string }[]> {
  for (let i = 0; i < ops; i += chunk) {
    yield Array.from({ length: Math.min(chunk, ops - i) }, (_, k) => payload(i + k))
  }
}

/** Counts handler runs; `finished` resolves at `target` or rejects after `limitMs`. */
function counter(target: number, limitMs: number) {
  let done = 0
  let resolve: () => void = () => undefined
  const finished = new Promise<void>((r, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${done} of ${target} done`)), limitMs)
    timer.unref()
    resolve = () => {
      clearTimeout(timer)
      r()
    }
  })
  // A run that fails before it waits for the jobs must not leave a rejection nobody handles.
  finished.catch(() => undefined)
  return {
    finished,
    add(count = 1) {
      done += count
      if (done >= target) resolve()
    },
  }
}

/** Polls `left` until the library itself reports no unfinished job. */
async function drained(left: () => Promise<number>): Promise<void> {
  while ((await left()) > 0) await sleep(2)
}

/**
 * Times the two phases of one run: `enqueue` (batches, one after another), then `process`
 * (from the worker's start until every job is finished, by the library's own account).
 */
async function phases(ops: number, enqueue: () => Promise<void>, process: () => Promise<void>) {
  const start = performance.now()
  await enqueue()
  const enqueued = performance.now()
  await process()
  const processed = performance.now()
  const [enqueueMs, processMs] = [enqueued - start, processed - enqueued]
  return {
    jobsPerSec: ops / ((enqueueMs + processMs) / 1_000),
    enqueuePerSec: ops / (enqueueMs / 1_000),
    processPerSec: ops / (processMs / 1_000),
  }
}

async function seamline(ops: number, keepCompletedMs?: number) {
  const db = await freshSchema('seamline')
  const store = await postgresStore({ url: db.url, maxConnections: connections })
  const jobs = createJobs({
    store,
    worker: { concurrency },
    ...(keepCompletedMs !== undefined && { keepCompletedMs }),
  })
  const handled = counter(ops, 300_000)
  jobs.define(name, () => handled.add())
  try {
    return await phases(
      ops,
      async () => {
        for (const payloads of chunks(ops)) {
          await jobs.enqueueMany(payloads.map((p) => ({ name, payload: p })))
        }
      },
      async () => {
        jobs.start()
        await handled.finished
        await drained(
          async () =>
            (await store.jobs.count({ state: 'pending' })) +
            (await store.jobs.count({ state: 'running' })),
        )
      },
    )
  } finally {
    await jobs.stop()
    await store.close()
    await db.drop()
  }
}

const pgBossBatch = concurrency
const pgBossPollSeconds = 0.5

async function pgBoss(ops: number) {
  const db = await freshSchema('pgboss')
  const boss = new PgBoss({ connectionString: pgUrl, schema: db.schema, max: connections })
  boss.on('error', (error: unknown) => console.error('pg-boss:', error))
  await boss.start()
  await boss.createQueue(name)
  const handled = counter(ops, 600_000)
  try {
    return await phases(
      ops,
      async () => {
        for (const payloads of chunks(ops)) {
          await boss.insert(payloads.map((data) => ({ name, data })))
        }
      },
      async () => {
        await boss.work(
          name,
          { batchSize: pgBossBatch, pollingIntervalSeconds: pgBossPollSeconds },
          async (batch) => handled.add(batch.length),
        )
        await handled.finished
        await drained(() => boss.getQueueSize(name, { before: 'completed' }))
      },
    )
  } finally {
    await boss.stop({ graceful: false, wait: true })
    await db.drop()
  }
}

const silentGraphile = new GraphileLogger(() => () => undefined)

async function graphileWorker(ops: number, batched: boolean) {
  const db = await freshSchema(batched ? 'graphilebatched' : 'graphile')
  const options = { connectionString: pgUrl, schema: db.schema, logger: silentGraphile }
  const utils = await makeWorkerUtils(options)
  await utils.migrate()
  const handled = counter(ops, 300_000)
  let runner: Awaited<ReturnType<typeof run>> | undefined
  try {
    return await phases(
      ops,
      async () => {
        for (const payloads of chunks(ops)) {
          await utils.addJobs(payloads.map((p) => ({ identifier: name, payload: p })))
        }
      },
      async () => {
        runner = await run({
          ...options,
          concurrency,
          maxPoolSize: connections,
          noHandleSignals: true,
          taskList: { [name]: async () => handled.add() },
          ...(batched && {
            preset: {
              worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 },
            },
          }),
        })
        await handled.finished
        await drained(() =>
          utils.withPgClient(async (client) => {
            const { rows } = await client.query<{ left: string }>(
              `SELECT count(*) AS left FROM ${db.schema}._private_jobs`,
            )
            return Number(rows[0]?.left)
          }),
        )
      },
    )
  } finally {
    await runner?.stop()
    await utils.release()
    await db.drop()
  }
}

/** A BullMQ queue and worker on PostgreSQL (in a fresh schema) or on Redis (under a fresh prefix). */
async function bullmqOn(on: 'postgres' | 'redis', handler: () => Promise<void>) {
  if (on === 'postgres') {
    const db = await freshSchema('bullmq')
    const connection = {
      connectionString: pgUrl,
      schema: db.schema,
      migrate: true,
      max: connections,
    }
    const options = { connection, concurrency, autorun: false }
    const queue = new Queue(name, { connection }, createPostgresBackend)
    return {
      queue,
      worker: new Worker(name, handler, options, createPostgresBackend),
      async close() {
        await queue.close()
        await db.drop()
      },
    }
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null })
  const prefix = `bench-jobs-${tag}-${runs++}`
  const queue = new Queue(name, { connection: redis, prefix })
  return {
    queue,
    worker: new Worker(name, handler, { connection: redis, prefix, concurrency, autorun: false }),
    async close() {
      await queue.obliterate({ force: true })
      await queue.close()
      await redis.quit()
    },
  }
}

async function bullmq(ops: number, on: 'postgres' | 'redis') {
  const handled = counter(ops, 300_000)
  const { queue, worker, close } = await bullmqOn(on, async () => handled.add())
  try {
    await queue.waitUntilReady()
    return await phases(
      ops,
      async () => {
        for (const payloads of chunks(ops)) {
          await queue.addBulk(payloads.map((data) => ({ name, data })))
        }
      },
      async () => {
        void worker.run()
        await handled.finished
        await drained(async () => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
          return Object.values(counts).reduce((a, b) => a + b, 0)
        })
      },
    )
  } finally {
    await worker.close()
    await close()
  }
}

const throughput: Benchmark = {
  name: 'Durable jobs: PostgreSQL throughput',
  what: 'Jobs per second through one process on one PostgreSQL database, with a no-op handler: enqueued in batches, then processed until every job is finished. End to end covers both phases; each phase is also given apart.',
  how: `Each run in a fresh schema of its own (dropped afterwards), migrations applied before the clock starts. The jobs are inserted in batches of ${chunk.toLocaleString('en-US')} with each library's batch API, each batch awaited before the next; then the worker starts, and the run ends when the handler ran for every job and the library reports none left unfinished (polled every 2 ms). Every worker runs ${concurrency} jobs at once on a pool of ${connections} connections (the producers of graphile-worker and BullMQ have pools of their own). Seamline: \`postgresStore\` and \`createJobs\`, \`enqueueMany\` per batch; completed jobs are kept (for 24 h by default), while the \`completed jobs deleted\` row sets \`keepCompletedMs: 0\`, as graphile-worker does by design (it deletes a job when it completes). \`pg-boss\` 10: \`insert\` per batch; \`work\` with \`batchSize\` ${pgBossBatch} and its shortest polling interval (${pgBossPollSeconds} s): a worker waits out the interval after each batch unless it was notified. \`graphile-worker\` 0.17: \`addJobs\` per batch, \`run\` with concurrency ${concurrency}, as configured by default; the batched row adds its documented batching (\`localQueue.size\` ${concurrency + 1}, \`completeJobBatchDelay\` 0). \`bullmq\` 6.7 on its PostgreSQL backend (\`createPostgresBackend\`): \`addBulk\` per batch, a \`Worker\` with concurrency ${concurrency}. \`bullmq (Redis)\` is the same on the local Redis, as a reference.`,
  durability:
    'PostgreSQL 15 with its defaults (`fsync` and `synchronous_commit` on) for every subject but the reference; Redis as run here, without AOF or snapshots',
  ops: 10_000,
  repetitions: 5,
  metrics: [
    { key: 'jobsPerSec', label: 'jobs/s end to end', better: 'higher' },
    { key: 'enqueuePerSec', label: 'enqueue jobs/s', better: 'higher' },
    { key: 'processPerSec', label: 'process jobs/s', better: 'higher' },
  ],
  setup: async () => {
    admin = new pg.Pool({ connectionString: pgUrl, max: 2 })
  },
  teardown: async () => {
    const { rows } = await admin!.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
      [`bench_jobs_${tag}_%`],
    )
    for (const { nspname } of rows) await admin!.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`)
    await admin?.end()
  },
  subjects: {
    seamline: (ops) => seamline(ops),
    'seamline (completed jobs deleted)': (ops) => seamline(ops, 0),
    'pg-boss': pgBoss,
    'graphile-worker': (ops) => graphileWorker(ops, false),
    'graphile-worker (batched)': (ops) => graphileWorker(ops, true),
    'bullmq (PostgreSQL)': (ops) => bullmq(ops, 'postgres'),
    'bullmq (Redis)': (ops) => bullmq(ops, 'redis'),
  },
}

export default [throughput]
