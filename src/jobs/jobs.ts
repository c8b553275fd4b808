import { createEmitter, type Events } from '../events/index.js'
import { SeamlineError } from '../errors/index.js'
import type { EnqueueResult, NewJob, Store } from '../stores/index.js'
import { systemClock, type Clock } from '../time/index.js'
import type { ClientSource, PgConnection, SqliteConnection } from './context.js'
import { deadLetters, type DeadLetters } from './dead-letters.js'
import type { JobEvents } from './events.js'
import { runSchedules, slotsOf, type Schedule, type ScheduleOptions } from './schedules.js'
import {
  checkBackoff,
  newJob,
  type EnqueueOptions,
  type JobDefaults,
  type JobDefinitionOptions,
  type PayloadOf,
} from './options.js'
import {
  startWorker,
  type Definition,
  type JobHandler,
  type Worker,
  type WorkerOptions,
} from './worker.js'

export interface JobsOptions {
  store: Store
  clock?: Clock
  /** The clients handlers reach through `ctx.client(provider)`. */
  clients?: ClientSource
  /** Defaults for every job this instance enqueues; a definition or an enqueue overrides them. */
  defaults?: JobDefaults
  worker?: WorkerOptions
  /**
   * How long a completed job stays readable (`get`, listings) before an hourly sweep deletes it.
   * Default 24 h. 0 deletes each job's row as it completes: the cheapest completion, and nothing
   * to sweep. Dead letters are kept until replayed or discarded, whatever this says.
   */
  keepCompletedMs?: number
}

export interface EnqueueItem<Name extends string = string> {
  name: Name
  payload: PayloadOf<Name>
  options?: EnqueueOptions
}

export interface Jobs {
  readonly events: Events<JobEvents>
  readonly deadLetters: DeadLetters
  /** Registers the handler of a job name; `start()` runs the names defined here. */
  define<Name extends string>(
    name: Name,
    handler: JobHandler<PayloadOf<Name>>,
    options?: JobDefinitionOptions<PayloadOf<Name>>,
  ): void
  enqueue<Name extends string>(
    name: Name,
    payload: PayloadOf<Name>,
    options?: EnqueueOptions,
  ): Promise<EnqueueResult>
  /**
   * The job `enqueue` would store, checked but not stored: for writes that insert a job
   * together with something else (the webhook inbox stores an event and its job at once).
   */
  prepare<Name extends string>(
    name: Name,
    payload: PayloadOf<Name>,
    options?: EnqueueOptions,
  ): NewJob
  /** Enqueues all or none. */
  enqueueMany(items: readonly EnqueueItem[]): Promise<EnqueueResult[]>
  /**
   * Enqueues in your open transaction, so the job exists if and only if your writes commit. On
   * SQLite pass a better-sqlite3 connection to the same file inside `db.transaction(…)`: the
   * insert happens (or throws) at once. On PostgreSQL pass a `pg` client after `BEGIN`, and await.
   */
  enqueueInTx<Name extends string>(
    tx: SqliteConnection,
    name: Name,
    payload: PayloadOf<Name>,
    options?: EnqueueOptions,
  ): EnqueueResult
  enqueueInTx<Name extends string>(
    tx: PgConnection,
    name: Name,
    payload: PayloadOf<Name>,
    options?: EnqueueOptions,
  ): Promise<EnqueueResult>
  enqueueManyInTx(tx: SqliteConnection, items: readonly EnqueueItem[]): EnqueueResult[]
  enqueueManyInTx(tx: PgConnection, items: readonly EnqueueItem[]): Promise<EnqueueResult[]>
  /**
   * Enqueues `options.job` once per slot of a cron expression or interval, however many processes
   * run the schedule. Call before `start()`.
   */
  schedule(name: string, options: ScheduleOptions): void
  /** Starts working the defined jobs, and firing the schedules, in this process. */
  start(): void
  /** Stops the worker gracefully (see `Worker.stop`). */
  stop(options?: { timeoutMs?: number }): Promise<void>
}

export function createJobs(options: JobsOptions): Jobs {
  const { store } = options
  const clock = options.clock ?? systemClock
  const events = createEmitter<JobEvents>()
  const definitions = new Map<string, Definition & { options: JobDefinitionOptions<never> }>()
  const defaults: JobDefaults = options.defaults ?? {}
  checkBackoff('createJobs', defaults.backoff)
  const keepCompletedMs = options.keepCompletedMs ?? 86_400_000
  if (!(keepCompletedMs >= 0 && Number.isFinite(keepCompletedMs))) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'createJobs',
      target: 'keepCompletedMs',
      reason: `must be a finite number >= 0 (got ${String(keepCompletedMs)})`,
    })
  }
  let worker: Worker | undefined
  let firing: { stop(): void } | undefined
  const schedules: Schedule[] = []

  const build = (items: readonly EnqueueItem[]) => {
    const now = clock.now()
    return items.map((item) =>
      newJob(
        item.name,
        item.payload,
        item.options ?? {},
        definitions.get(item.name)?.options as JobDefinitionOptions<unknown> | undefined,
        defaults,
        now,
      ),
    )
  }
  const first = (results: EnqueueResult[]): EnqueueResult => results[0] as EnqueueResult
  const enqueueManyInTx = (tx: unknown, items: readonly EnqueueItem[]) =>
    store.jobs.enqueueInTx(tx, build(items), clock.now()) as EnqueueResult[] &
      Promise<EnqueueResult[]>

  const jobs: Jobs = {
    events,
    deadLetters: deadLetters(store, clock),
    define(name, handler, definition = {}) {
      if (worker) throw afterStart('define', name)
      if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: `define ${name}`,
          target: 'timeoutMs',
          reason: `must be > 0 (got ${String(definition.timeoutMs)})`,
        })
      }
      checkBackoff(`define ${name}`, definition.backoff)
      definitions.set(name, {
        handler: handler,
        timeoutMs: definition.timeoutMs,
        options: definition,
      })
    },
    async enqueue(name, payload, enqueueOptions = {}) {
      return first(
        await store.jobs.enqueue(build([{ name, payload, options: enqueueOptions }]), clock.now()),
      )
    },
    prepare: (name, payload, enqueueOptions = {}) =>
      build([{ name, payload, options: enqueueOptions }])[0] as NewJob,
    enqueueMany: (items) => store.jobs.enqueue(build(items), clock.now()),
    enqueueInTx(tx: unknown, name: string, payload: unknown, enqueueOptions: EnqueueOptions = {}) {
      const results: EnqueueResult[] | Promise<EnqueueResult[]> = enqueueManyInTx(tx, [
        { name, payload, options: enqueueOptions },
      ])
      return (Array.isArray(results) ? first(results) : results.then(first)) as EnqueueResult &
        Promise<EnqueueResult>
    },
    enqueueManyInTx,
    schedule(name, scheduleOptions) {
      if (worker) throw afterStart('schedule', name)
      const slots = slotsOf(name, scheduleOptions)
      build([
        {
          name: scheduleOptions.job,
          payload: scheduleOptions.payload ?? null,
          ...(scheduleOptions.options && { options: scheduleOptions.options }),
        },
      ])
      schedules.push({ name, slots, options: scheduleOptions })
    },
    start() {
      if (worker) return
      // A schedule for a job nothing handles would fill the queue with jobs that never run.
      const orphan = schedules.find(({ options: s }) => !definitions.has(s.job))
      if (orphan) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'start',
          target: `schedule ${orphan.name}`,
          reason: `names the job ${orphan.options.job}, which has no handler: define it with jobs.define(${JSON.stringify(orphan.options.job)}, …) before start()`,
        })
      }
      firing = runSchedules(
        schedules,
        store,
        clock,
        ({ options: s }, slotAt) => {
          const [job] = build([
            { name: s.job, payload: s.payload ?? null, options: { ...s.options, runAt: slotAt } },
          ])
          return job as NewJob
        },
        (operation, error) => events.emit('worker:error', { operation, error }),
      )
      worker = startWorker({
        store,
        clock,
        definitions,
        events,
        clients: options.clients,
        options: options.worker ?? {},
        removeCompleted: keepCompletedMs === 0,
      })
    },
    async stop(stopOptions) {
      firing?.stop()
      await worker?.stop(stopOptions)
    },
  }
  if (keepCompletedMs > 0) {
    // Once per hour however many processes run, as every schedule.
    jobs.define(pruneJob, () => store.jobs.prune(clock.now() - keepCompletedMs))
    jobs.schedule(pruneJob, { everyMs: 3_600_000, job: pruneJob, missed: 'skip' })
  }
  return jobs
}

const pruneJob = 'seamline:jobs-prune'

function afterStart(operation: string, name: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation,
    target: name,
    reason: `came after start(); ${operation} everything before starting the worker`,
  })
}
