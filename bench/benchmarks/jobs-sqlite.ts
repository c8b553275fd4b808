import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { buildDBClient, Runner, SqliteQueue } from 'liteque'
import { better, defineQueue, defineWorker, type Logger } from 'plainjob'
import type { Benchmark } from '../harness.js'
import { percentile, median } from '../harness.js'
import { sleep } from '../load.js'
import { createJobs, sqliteStore } from '../../dist/jobs/index.js'

// Durable SQLite job queues in one process: Seamline against plainjob and liteque, on files in a
// private temporary folder that is removed at teardown.

const chunk = 1_000
const concurrency = 100
const latencyRate = 1_000
const latencySeconds = 3
const peerPollMs = 1
const payload = (n: number) => ({ n, text: 'hello world' })

let folder = ''
let files = 0
/** A fresh database file for one run; its WAL and shared-memory files go with it. */
function freshFile(): { path: string; remove: () => void } {
  const path = join(folder, `run-${files++}.sqlite`)
  return {
    path,
    remove: () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true })
    },
  }
}

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} }

/** Resolves when `count()` reaches `target`; rejects if it takes longer than `limitMs`. */
function settled(target: number, limitMs: number) {
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
    one() {
      if (++done === target) resolve()
    },
  }
}

interface Phases {
  enqueueMs: number
  processMs: number
}

const throughputMetrics = (ops: number, { enqueueMs, processMs }: Phases) => ({
  jobsPerSec: ops / ((enqueueMs + processMs) / 1_000),
  enqueuePerSec: ops / (enqueueMs / 1_000),
  processPerSec: ops / (processMs / 1_000),
})

/** Chunks of `chunk` payloads, numbered from 0. */
function* chunks(ops: number): Generator<{ n: number; text: string }[]> {
  for (let i = 0; i < ops; i += chunk) {
    yield Array.from({ length: Math.min(chunk, ops - i) }, (_, k) => payload(i + k))
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput: enqueue every job in chunks, then process them all.

async function seamlineThroughput(ops: number, synchronous: 'full' | 'normal') {
  const file = freshFile()
  const store = sqliteStore({ path: file.path, synchronous })
  const jobs = createJobs({ store, worker: { concurrency } })
  const all = settled(ops, 120_000)
  jobs.define('noop', () => undefined)
  jobs.events.on('job:completed', () => all.one())
  try {
    const start = performance.now()
    for (const payloads of chunks(ops)) {
      await jobs.enqueueMany(payloads.map((p) => ({ name: 'noop', payload: p })))
    }
    const enqueued = performance.now()
    jobs.start()
    await all.finished
    const processed = performance.now()
    return throughputMetrics(ops, { enqueueMs: enqueued - start, processMs: processed - enqueued })
  } finally {
    await jobs.stop()
    await store.close()
    file.remove()
  }
}

/** plainjob on a better-sqlite3 connection, raised to `synchronous=FULL` after it set NORMAL. */
function plainjobQueue(path: string) {
  const db = new Database(path)
  const queue = defineQueue({ connection: better(db), logger: silent })
  db.pragma('synchronous = FULL')
  return { db, queue }
}

async function plainjobThroughput(ops: number) {
  const file = freshFile()
  const { db, queue } = plainjobQueue(file.path)
  const all = settled(ops, 300_000)
  const worker = defineWorker('noop', () => undefined, {
    queue,
    logger: silent,
    pollIntervall: peerPollMs,
    onCompleted: () => all.one(),
  })
  try {
    const start = performance.now()
    for (const payloads of chunks(ops)) queue.addMany('noop', payloads)
    const enqueued = performance.now()
    void worker.start()
    await all.finished
    const processed = performance.now()
    return throughputMetrics(ops, { enqueueMs: enqueued - start, processMs: processed - enqueued })
  } finally {
    await worker.stop()
    queue.close()
    db.close()
    file.remove()
  }
}

type LitequeDb = ReturnType<typeof buildDBClient>
/** The better-sqlite3 connection under liteque's drizzle client, to close it (liteque has no close). */
const litequeConnection = (db: LitequeDb): Database.Database =>
  (db as unknown as { session: { client: Database.Database } }).session.client

/** liteque as it opens its own connection: WAL with `synchronous=NORMAL`, not configurable. */
function litequeQueue(path: string) {
  const db = buildDBClient(path, { runMigrations: true })
  const queue = new SqliteQueue<{ n: number; text: string }>('noop', db, {
    defaultJobArgs: { numRetries: 2 },
    keepFailedJobs: false,
  })
  return { connection: litequeConnection(db), queue }
}

async function litequeThroughput(ops: number) {
  const file = freshFile()
  const { connection, queue } = litequeQueue(file.path)
  const runner = new Runner(
    queue,
    { run: async () => undefined },
    { concurrency, pollIntervalMs: peerPollMs, timeoutSecs: 30 },
  )
  try {
    const start = performance.now()
    // liteque has no batch enqueue: a chunk's enqueue calls are made at once and awaited together.
    for (const payloads of chunks(ops)) await Promise.all(payloads.map((p) => queue.enqueue(p)))
    const enqueued = performance.now()
    await runner.runUntilEmpty()
    const processed = performance.now()
    const left = await queue.stats()
    if (left.pending + left.running + left.pending_retry > 0) {
      throw new Error(`liteque left jobs behind: ${JSON.stringify(left)}`)
    }
    return throughputMetrics(ops, { enqueueMs: enqueued - start, processMs: processed - enqueued })
  } finally {
    runner.stop()
    connection.close()
    file.remove()
  }
}

// ---------------------------------------------------------------------------------------------
// Latency: single enqueues paced at `latencyRate` per second, the worker running.

/**
 * Offers `total` jobs at `latencyRate` per second through `enqueue(i)`, catching up on every
 * timer tick with the jobs that are due by then, and records when each call was made.
 */
async function offer(total: number, enqueue: (i: number) => unknown, offeredAt: Float64Array) {
  const start = performance.now()
  let sent = 0
  const pending: Promise<unknown>[] = []
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * latencyRate) / 1_000) + 1)
    while (sent < due) {
      offeredAt[sent] = performance.now()
      pending.push(Promise.resolve(enqueue(sent)))
      sent++
    }
    await sleep(1)
  }
  await Promise.all(pending)
}

const latencyMetrics = (waits: Float64Array) => {
  const values = Array.from(waits)
  return { p50Ms: median(values), p99Ms: percentile(values, 99), maxMs: Math.max(...values) }
}

async function seamlineLatency(total: number, synchronous: 'full' | 'normal') {
  const file = freshFile()
  const store = sqliteStore({ path: file.path, synchronous })
  const jobs = createJobs({ store, worker: { concurrency } })
  const offeredAt = new Float64Array(total)
  const waits = new Float64Array(total)
  const all = settled(total, 60_000)
  jobs.define('noop', (job) => {
    const { n } = job as { n: number }
    waits[n] = performance.now() - offeredAt[n]!
    all.one()
  })
  jobs.start()
  try {
    await offer(total, (n) => jobs.enqueue('noop', payload(n)), offeredAt)
    await all.finished
    return latencyMetrics(waits)
  } finally {
    await jobs.stop()
    await store.close()
    file.remove()
  }
}

async function plainjobLatency(total: number) {
  const file = freshFile()
  const { db, queue } = plainjobQueue(file.path)
  const offeredAt = new Float64Array(total)
  const waits = new Float64Array(total)
  const all = settled(total, 60_000)
  const worker = defineWorker(
    'noop',
    (job) => {
      const { n } = JSON.parse(job.data) as { n: number }
      waits[n] = performance.now() - offeredAt[n]!
      all.one()
    },
    { queue, logger: silent, pollIntervall: peerPollMs },
  )
  void worker.start()
  try {
    await offer(total, (n) => queue.add('noop', payload(n)), offeredAt)
    await all.finished
    return latencyMetrics(waits)
  } finally {
    await worker.stop()
    queue.close()
    db.close()
    file.remove()
  }
}

async function litequeLatency(total: number) {
  const file = freshFile()
  const { connection, queue } = litequeQueue(file.path)
  const offeredAt = new Float64Array(total)
  const waits = new Float64Array(total)
  const all = settled(total, 60_000)
  const runner = new Runner(
    queue,
    {
      run: async ({ data }) => {
        waits[data.n] = performance.now() - offeredAt[data.n]!
        all.one()
      },
    },
    { concurrency, pollIntervalMs: peerPollMs, timeoutSecs: 30 },
  )
  const running = runner.run()
  try {
    await offer(total, (n) => queue.enqueue(payload(n)), offeredAt)
    await all.finished
    return latencyMetrics(waits)
  } finally {
    runner.stop()
    await running
    connection.close()
    file.remove()
  }
}

// ---------------------------------------------------------------------------------------------

const setup = async () => {
  folder = mkdtempSync(join(tmpdir(), 'seamline-bench-jobs-'))
}
const teardown = async () => {
  rmSync(folder, { recursive: true, force: true })
}

const plainjobHow = `\`plainjob\` 0.0.14 on a better-sqlite3 connection of ours, one worker (it takes one job at a time and has no concurrency option; more workers in the process would still commit twice per job), polling every ${peerPollMs} ms when it finds nothing`
const litequeHow = `\`liteque\` 0.8 (\`Runner\` with concurrency ${concurrency}, polling every ${peerPollMs} ms when it finds nothing)`
const durability =
  'Seamline and plainjob on WAL with `synchronous=FULL` (plainjob sets NORMAL on the connection it is given; the benchmark sets FULL on it afterwards); liteque on WAL with `synchronous=NORMAL`, which it sets on the connection it opens itself and does not let you change (compare it with the `seamline (synchronous=normal)` row)'

const throughput: Benchmark = {
  name: 'Durable jobs: SQLite throughput',
  what: 'Jobs per second from the first enqueue to the last completion, with a no-op handler, in one process; the enqueue and processing phases are also given apart.',
  how: `A fresh database file per run. The jobs are enqueued in chunks of ${chunk.toLocaleString('en-US')}, each chunk awaited before the next; then the worker starts and runs until every job is completed; end to end is the sum of both phases. Seamline: \`sqliteStore\` and \`createJobs\` with worker concurrency ${concurrency}, \`enqueueMany\` per chunk, done when the last \`job:completed\` event came (it comes after the completion committed); the \`seamline (synchronous=normal)\` row is the same with \`synchronous: 'normal'\`. Peers: ${plainjobHow}, \`addMany\` per chunk, done when its last \`onCompleted\` came (after its completion committed); ${litequeHow}, which has no batch enqueue, so a chunk's ${chunk.toLocaleString('en-US')} \`enqueue\` calls are made at once and awaited together, done when \`runUntilEmpty\` returns.`,
  durability,
  ops: 20_000,
  repetitions: 5,
  metrics: [
    { key: 'jobsPerSec', label: 'jobs/s end to end', better: 'higher' },
    { key: 'enqueuePerSec', label: 'enqueue jobs/s', better: 'higher' },
    { key: 'processPerSec', label: 'process jobs/s', better: 'higher' },
  ],
  setup,
  teardown,
  subjects: {
    seamline: (ops) => seamlineThroughput(ops, 'full'),
    'seamline (synchronous=normal)': (ops) => seamlineThroughput(ops, 'normal'),
    plainjob: plainjobThroughput,
    liteque: litequeThroughput,
  },
}

const latency: Benchmark = {
  name: 'Durable jobs: SQLite enqueue-to-start latency',
  what: `Time from an \`enqueue\` call to the start of its handler, at ${latencyRate.toLocaleString('en-US')} jobs/s offered, with the worker running in the same process.`,
  how: `${latencySeconds} s of single enqueue calls, paced on a 1 ms timer (each tick makes the calls due by then, without waiting for earlier ones to resolve), to a worker already running; each handler notes when it starts. A fresh database file per run. Seamline: \`enqueue\` on \`sqliteStore\`, worker concurrency ${concurrency}; an enqueue through the same store wakes the worker at once, no polling. Peers, which find new jobs by polling: ${plainjobHow}, \`add\` per job; ${litequeHow}, \`enqueue\` per job. A subject that cannot process ${latencyRate.toLocaleString('en-US')} jobs/s falls behind, and its latency is the backlog's.`,
  durability,
  ops: latencyRate * latencySeconds,
  repetitions: 5,
  metrics: [
    { key: 'p99Ms', label: 'p99 ms', better: 'lower' },
    { key: 'p50Ms', label: 'p50 ms', better: 'lower' },
    { key: 'maxMs', label: 'max ms', better: 'lower' },
  ],
  setup,
  teardown,
  subjects: {
    seamline: (ops) => seamlineLatency(ops, 'full'),
    'seamline (synchronous=normal)': (ops) => seamlineLatency(ops, 'normal'),
    plainjob: plainjobLatency,
    liteque: litequeLatency,
  },
}

export default [throughput, latency]
