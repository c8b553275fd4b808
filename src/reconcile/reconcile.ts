import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Events } from '../events/index.js'
import type { Jobs } from '../jobs/index.js'
import { systemClock, type Clock } from '../time/index.js'
import {
  runReconciler,
  type ReconcileEvents,
  type ReconcilerOptions,
  type RunOptions,
} from './reconciler.js'
import {
  memoryReports,
  type ReconcileReport,
  type ReportStore,
  type ReportSummary,
} from './report.js'

export interface ReconcileOptions {
  /** Where reports are kept: `storeReports(store)`, `fileReports(dir)`; default in memory. */
  reports?: ReportStore
  /** Durable jobs: runs reconcilers on their `every`/`cron` schedule, and enqueues repairs. */
  jobs?: Jobs
  clock?: Clock
}

export interface Reconcile {
  readonly events: Events<ReconcileEvents>
  /** Registers a reconciler; with `every` or `cron` and `jobs`, it is scheduled as a durable job. */
  define(name: string, options: ReconcilerOptions): void
  /** The names defined. */
  names(): string[]
  /** Runs a reconciler now and returns its (stored) report. */
  run(name: string, options?: RunOptions): Promise<ReconcileReport>
  /** Reports, newest first (for dashboards and the admin API). */
  listReports(filter?: { name?: string; limit?: number }): Promise<ReportSummary[]>
  /** One report by id. */
  getReport(id: string): Promise<ReconcileReport>
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `15m`, `1h`, `30s`, `1d` or milliseconds. */
export function parseInterval(value: string | number, target: string): number {
  if (typeof value === 'number') return value
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim())
  if (!match) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'reconcile define',
      target,
      reason: `is "${value}", not an interval such as 30s, 15m, 1h or 1d`,
    })
  }
  return Number(match[1]) * (units[match[2] as string] as number)
}

/** The job name a scheduled reconciler runs under. */
export const reconcileJobName = (name: string): string => `reconcile:${name}`

/**
 * Reconcilers by name, their reports, and their schedules: `define` each, then `run` one now,
 * or let `jobs` run them every interval (one run per slot, however many processes).
 */
export function createReconcile(options: ReconcileOptions = {}): Reconcile {
  const clock = options.clock ?? systemClock
  const reports = options.reports ?? memoryReports()
  const jobs = options.jobs
  const events = createEmitter<ReconcileEvents>()
  const defined = new Map<string, ReconcilerOptions>()

  const find = (name: string): ReconcilerOptions => {
    const found = defined.get(name)
    if (found) return found
    throw new SeamlineError('SEAM_ERR_RECONCILE_NOT_FOUND', {
      operation: 'reconcile run',
      target: name,
      reason: `is not defined (defined: ${[...defined.keys()].join(', ') || 'none'})`,
    })
  }
  const run = async (name: string, runOptions?: RunOptions) =>
    runReconciler(name, find(name), { clock, reports, jobs, events }, runOptions)

  return {
    events,
    define(name, reconciler) {
      if (defined.has(name)) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'reconcile define',
          target: name,
          reason: 'is defined already',
        })
      }
      defined.set(name, reconciler)
      const { every, cron } = reconciler
      if (every === undefined && cron === undefined) return
      if (!jobs) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'reconcile define',
          target: name,
          reason: 'has a schedule (every/cron), but createReconcile was given no jobs to run it',
        })
      }
      const job = reconcileJobName(name)
      jobs.define(job, async (payload: unknown, ctx) => {
        const repair = (payload as { repair?: RunOptions['repair'] } | null)?.repair
        await run(name, { signal: ctx.signal, ...(repair && { repair }) })
      })
      jobs.schedule(job, {
        job,
        ...(cron !== undefined ? { cron } : { everyMs: parseInterval(every!, 'every') }),
        // A run that outlasts its interval is not joined by the next one.
        options: { key: job },
      })
    },
    names: () => [...defined.keys()],
    run,
    listReports: (filter) => reports.list(filter),
    async getReport(id) {
      const report = await reports.get(id)
      if (report) return report
      throw new SeamlineError('SEAM_ERR_RECONCILE_NOT_FOUND', {
        operation: 'reconcile getReport',
        target: id,
        reason: 'is not the id of a stored report',
      })
    },
  }
}
