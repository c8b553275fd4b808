import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Benchmark } from '../harness.js'
import { sleep } from '../load.js'
import { createJobs, sqliteStore } from '../../dist/jobs/index.js'

// A worker process is SIGKILLed while its handler runs; another process, with the default
// settings, runs the job again. Both are children of this one, on a SQLite file of their own.

const worker = fileURLToPath(new URL('../workers/jobs-recovery.mjs', import.meta.url))
const waitLimitMs = 120_000
const sweepMs = 5_000
let folder = ''
let runs = 0

interface Message {
  event: 'ready' | 'started'
  delivery?: number
  rescues?: number
}

/** A worker process whose JSON lines can be awaited one by one, with the time each arrived. */
function startWorker(role: 'victim' | 'rescuer', path: string) {
  const child = spawn(process.execPath, [worker, role, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const waiting: ((line: { at: number; message: Message }) => void)[] = []
  const queued: { at: number; message: Message }[] = []
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = { at: performance.now(), message: JSON.parse(text) as Message }
    const next = waiting.shift()
    if (next) next(line)
    else queued.push(line)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    exited,
    /** The next line whose event is `event`, when it arrived. */
    async next(event: Message['event']): Promise<{ at: number; message: Message }> {
      const limit = performance.now() + waitLimitMs
      for (;;) {
        const line =
          queued.shift() ??
          (await new Promise<{ at: number; message: Message }>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`${role} said no ${event} in time`)),
              Math.max(0, limit - performance.now()),
            )
            waiting.push((l) => {
              clearTimeout(timer)
              resolve(l)
            })
          }))
        if (line.message.event === event) return line
      }
    },
  }
}

async function ended(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals) {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  await exited
}

/**
 * How long after the kill the rescuer starts, so that across runs its sweeps fall at evenly
 * spread points of the sweep interval relative to the end of the lease (a golden-ratio sequence).
 */
const rescuerDelayMs = (run: number): number => sweepMs * ((0.5 + run * 0.618034) % 1)

async function recovery() {
  const run = runs++
  const path = join(folder, `run-${run}.sqlite`)
  const store = sqliteStore({ path })
  await createJobs({ store }).enqueue('recover-me', { order: 42 })
  await store.close()

  const victim = startWorker('victim', path)
  let rescuer: ReturnType<typeof startWorker> | undefined
  try {
    await victim.next('started')
    const killedAt = performance.now()
    await ended(victim.child, victim.exited, 'SIGKILL')
    await sleep(rescuerDelayMs(run))
    rescuer = startWorker('rescuer', path)
    const { at, message } = await rescuer.next('started')
    return { recoverySec: (at - killedAt) / 1_000, delivery: message.delivery ?? NaN }
  } finally {
    await ended(victim.child, victim.exited, 'SIGKILL')
    if (rescuer) await ended(rescuer.child, rescuer.exited, 'SIGTERM')
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  }
}

const recoveryAfterKill: Benchmark = {
  name: 'Durable jobs: recovery after kill -9',
  what: 'Seconds from SIGKILL of the worker process running a job to the start of the same job in another worker process, with default settings.',
  how: 'Two Node processes on one SQLite file (the default store), both with `createJobs` default worker settings (30 s lease renewed every 10 s, expired leases swept every 5 s, the first rescue of a job due at once). One job is enqueued; the first process claims it and is SIGKILLed as soon as its handler has started, that is just after the claim wrote a fresh lease: the longest wait a kill can cause. The second process starts after the kill, with a delay that differs from run to run and is spread evenly over one sweep interval (5 s), so the runs sample where its sweeps fall against the end of the lease, as for a worker that has been running for a while; the time is taken when its handler start reaches the benchmark. Peers are not measured: by their documentation a job whose worker died runs again after 4 h with graphile-worker, 1 h with River and 15 min with pg-boss (its default expiry).',
  durability: 'WAL with `synchronous=FULL` (the default)',
  ops: 1,
  repetitions: 5,
  metrics: [
    { key: 'recoverySec', label: 'recovery (s)', better: 'lower' },
    { key: 'delivery', label: 'delivery that ran it', better: 'lower' },
  ],
  setup: async () => {
    folder = mkdtempSync(join(tmpdir(), 'seamline-bench-recovery-'))
  },
  teardown: async () => {
    rmSync(folder, { recursive: true, force: true })
  },
  subjects: { seamline: recovery },
}

export default [recoveryAfterKill]
