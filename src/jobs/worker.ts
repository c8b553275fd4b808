import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Emitter } from '../events/index.js'
import type { Clock } from '../time/index.js'
import type { CycleResult, JobOutcome, JobRecord, Store } from '../stores/index.js'
import { jobContext, type ClientSource, type JobContext } from './context.js'
import type { JobEvents } from './events.js'
import { outcomeOfError, outcomeOfResult } from './settle.js'
import { announce, type Settling } from './announce.js'
import { every } from './every.js'

export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => unknown

export interface Definition {
  handler: JobHandler<never>
  timeoutMs: number | undefined
}

export interface WorkerOptions {
  /** Jobs run at once by this process. Default 10. */
  concurrency?: number
  /** How long a claim is valid without renewal. Default 30 s. */
  leaseMs?: number
  /** How often held leases are renewed, off the handlers' path. Default a third of the lease. */
  heartbeatMs?: number
  /** How often expired leases are looked for. Default 5 s: a crashed worker's jobs run again within lease + sweep. */
  sweepMs?: number
  /** Longest wait between looks for due jobs, for jobs no notification announces. Default 1 s. */
  pollMs?: number
  /**
   * Store cycles (settle finished jobs, claim the next) in flight at once; claims in flight and
   * running jobs together never exceed `concurrency`. Default the store's: 1 on SQLite, which
   * has one writer, 2 on PostgreSQL.
   */
  cycles?: number
  /** Backoff of a job rescued again: min(cap, base × 2^(rescues - 1)); the first is due at once. Default 1 s and 60 s. */
  rescueBackoff?: { baseMs: number; capMs: number }
}

export interface WorkerParts {
  store: Store
  clock: Clock
  definitions: ReadonlyMap<string, Definition>
  events: Emitter<JobEvents>
  clients: ClientSource | undefined
  options: WorkerOptions
  /** Completed jobs leave no row behind. */
  removeCompleted: boolean
}

export interface Worker {
  readonly owner: string
  /** Jobs running now. */
  readonly running: number
  /**
   * Stops claiming, waits up to `timeoutMs` (default 10 s) for running jobs, then aborts the
   * rest and releases them to run again elsewhere, without spending an attempt.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>
}

interface Running {
  job: JobRecord
  controller: AbortController
  startedAt: number
  completedInTx: boolean
}

class ShutdownError extends Error {
  override readonly name = 'ShutdownError'
}

export function startWorker({
  store,
  clock,
  definitions,
  events,
  clients,
  options,
  removeCompleted,
}: WorkerParts): Worker {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const concurrency = options.concurrency ?? 10
  const leaseMs = options.leaseMs ?? 30_000
  const heartbeatMs = options.heartbeatMs ?? Math.floor(leaseMs / 3)
  const sweepMs = options.sweepMs ?? 5_000
  const pollMs = options.pollMs ?? 1_000
  const rescueBackoff = options.rescueBackoff ?? { baseMs: 1_000, capMs: 60_000 }
  const names = [...definitions.keys()]

  const cycles = Math.max(1, options.cycles ?? store.jobs.cycles ?? 1)

  const running = new Map<string, Running>()
  let outcomes: Settling[] = []
  let stopping = false
  const cycling = new Set<Promise<void>>()
  // Slots claims in flight may fill: running + reserved never exceeds concurrency.
  let reserved = 0
  // Every reason to look for due jobs bumps `wakes`; a claim that came back short, started at
  // wake `lookedAt`, found none due then. Another look is wanted only after a later wake.
  let wakes = 0
  let lookedAt = -1
  let pumpQueued = false
  let cancelIdle: (() => void) | undefined
  const drainedWaiters = new Set<() => void>()

  const report = (operation: string, error: unknown): void =>
    events.emit('worker:error', { operation, error })

  // Completions in the same turn share one store cycle.
  const pumpSoon = (): void => {
    if (pumpQueued) return
    pumpQueued = true
    setImmediate(() => {
      pumpQueued = false
      pump()
    })
  }

  const quiet = async (): Promise<void> => {
    while (cycling.size > 0) await Promise.all(cycling)
  }

  function pump(): void {
    wakes++
    fill()
  }

  // Starts cycles, up to `cycles` at once, while outcomes wait or a look for jobs is wanted. With
  // room for two, outcomes settle beside the claim rather than in it: a claim is what frees
  // slots, and it comes back sooner alone.
  function fill(): void {
    while (cycling.size < cycles) {
      const free = stopping ? 0 : concurrency - running.size - reserved
      const wanted = free > 0 && wakes > lookedAt ? free : 0
      if (outcomes.length === 0 && wanted === 0) return
      const apart = outcomes.length > 0 && wanted > 0 && cycling.size < cycles - 1
      const settling = outcomes
      outcomes = []
      const claim = apart ? 0 : wanted
      const done: Promise<void> = cycle(settling, claim).then((idle) => {
        cycling.delete(done)
        return afterCycle(idle)
      })
      cycling.add(done)
    }
  }

  // One cycle; answers whether to wait for due jobs rather than look again at once.
  async function cycle(settling: Settling[], claim: number): Promise<boolean> {
    const now = clock.now()
    const startedAt = wakes
    reserved += claim
    let result: CycleResult
    try {
      result = await store.jobs.cycle({
        now,
        settle: settling.map((s) => s.outcome),
        ...(claim > 0 && { claim: { names, owner, limit: claim, leaseMs } }),
      })
    } catch (error) {
      // Keep the outcomes and try again after pollMs, not at once: the store may be down.
      outcomes = settling.concat(outcomes)
      report('cycle', error)
      lookedAt = Math.max(lookedAt, wakes)
      return true
    } finally {
      reserved -= claim
    }
    settling.forEach((s, i) => announce(events, s, result.settled[i] ?? false, now))
    for (const job of result.claimed) run(job)
    const short = claim > 0 && result.claimed.length < claim
    if (short) lookedAt = Math.max(lookedAt, startedAt)
    else if (claim > 0) wakes++
    return short
  }

  // After a cycle: the next ones, or a wait for due jobs; then tells `stop` when all is settled.
  async function afterCycle(idle: boolean): Promise<void> {
    if (!idle || wakes > lookedAt) fill()
    if (idle && !stopping) await armIdleTimer()
    if (running.size === 0 && outcomes.length === 0 && cycling.size === 0) {
      for (const resolve of drainedWaiters) resolve()
    }
  }

  // Wakes at the next due job or after pollMs, whichever is first.
  async function armIdleTimer(): Promise<void> {
    cancelIdle?.()
    let wait = pollMs
    try {
      const next = await store.jobs.nextRunAt(names)
      if (next !== null) wait = Math.min(pollMs, Math.max(0, next - clock.now()))
    } catch (error) {
      report('nextRunAt', error)
    }
    if (stopping) return
    cancelIdle = clock.after(wait, () => {
      cancelIdle = undefined
      pump()
    })
  }

  function run(job: JobRecord): void {
    const definition = definitions.get(job.name)
    const entry: Running = {
      job,
      controller: new AbortController(),
      startedAt: clock.now(),
      completedInTx: false,
    }
    running.set(job.id, entry)
    events.emit('job:started', {
      id: job.id,
      name: job.name,
      attempt: job.attempts + 1,
      delivery: job.deliveries,
    })
    const timeoutMs = definition?.timeoutMs
    const cancelTimeout =
      timeoutMs === undefined
        ? undefined
        : clock.after(timeoutMs, () =>
            entry.controller.abort(
              new Error(`job ${job.id} ran past its timeoutMs (${timeoutMs})`),
            ),
          )
    const ctx = jobContext({
      job,
      signal: entry.controller.signal,
      store,
      clients,
      now: () => clock.now(),
      removeCompleted,
      completed: () => (entry.completedInTx = true),
    })
    void (async () => {
      let outcome: JobOutcome
      try {
        if (!definition) throw new Error(`no handler is defined for ${job.name}`)
        const result: unknown = await (definition.handler as JobHandler)(job.payload, ctx)
        outcome = outcomeOfResult(job, result, clock.now(), removeCompleted)
      } catch (error) {
        outcome = outcomeOfError(job, error, clock.now())
      }
      cancelTimeout?.()
      // Released at shutdown: the job is someone else's now.
      if (running.get(job.id) !== entry) return
      running.delete(job.id)
      outcomes.push({
        outcome,
        job,
        startedAt: entry.startedAt,
        completedInTx: entry.completedInTx,
      })
      pumpSoon()
    })()
  }

  const heartbeat = every(clock, heartbeatMs, 'heartbeat', report, async () => {
    if (running.size > 0) await store.jobs.heartbeat(owner, clock.now(), leaseMs)
  })

  const sweeper = every(clock, sweepMs, 'rescue', report, async () => {
    const { requeued, dead } = await store.jobs.rescue({ now: clock.now(), ...rescueBackoff })
    for (const job of requeued) {
      events.emit('job:rescued', { id: job.id, name: job.name, rescues: job.rescues, dead: false })
    }
    for (const job of dead) {
      events.emit('job:rescued', { id: job.id, name: job.name, rescues: job.rescues, dead: true })
      events.emit('job:dead', {
        id: job.id,
        name: job.name,
        reason: 'worker_lost',
        error: job.lastError ?? { name: 'LeaseExpiredError', message: 'lease expired' },
      })
    }
    if (requeued.length > 0) pump()
  })

  const unsubscribe = store.onJobsEnqueued((enqueued) => {
    if (enqueued.includes('*') || enqueued.some((name) => definitions.has(name))) pumpSoon()
  })

  pump()

  return {
    owner,
    get running() {
      return running.size
    },
    async stop({ timeoutMs = 10_000 } = {}) {
      if (stopping) return
      stopping = true
      cancelIdle?.()
      unsubscribe()
      if (running.size > 0 || outcomes.length > 0) {
        const drained = new Promise<void>((resolve) => drainedWaiters.add(resolve))
        const controller = new AbortController()
        await Promise.race([
          drained,
          clock.sleep(timeoutMs, controller.signal).catch(() => undefined),
        ])
        controller.abort()
      }
      for (const entry of running.values()) {
        entry.controller.abort(new ShutdownError('the worker is shutting down'))
        const outcome = {
          id: entry.job.id,
          delivery: entry.job.deliveries,
          kind: 'released' as const,
        }
        outcomes.push({ outcome, job: entry.job, startedAt: entry.startedAt, completedInTx: false })
      }
      running.clear()
      await quiet()
      if (outcomes.length > 0) {
        fill()
        await quiet()
      }
      heartbeat.stop()
      sweeper.stop()
    },
  }
}
