import { randomUUID } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import type { Emitter } from '../events/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Clock } from '../time/index.js'
import { alertsOf, deliverAlerts, type AlertOptions } from './alerts.js'
import { bisectDiff, type BisectStats } from './bisect-diff.js'
import { toEntries } from './entries.js'
import { Tally } from './findings.js'
import { mergeDiff } from './merge-diff.js'
import { partitionDiff } from './partition-diff.js'
import { Repairs, type RepairPlanner } from './repair.js'
import {
  deltaOf,
  driftRate,
  type Engine,
  type ReconcileReport,
  type ReportStore,
} from './report.js'
import {
  compileSide,
  type CompiledSide,
  type FieldSpec,
  type KeyType,
  type SideSpec,
} from './side.js'
import type { Key, SourceRecord, SourceStats } from './source.js'

export type ReconcileEvents = {
  'reconcile:progress': { name: string; left: number; right: number }
  'reconcile:finished': { name: string; report: ReconcileReport }
  'reconcile:alert': { name: string; report: ReconcileReport; alerts: ReconcileReport['alerts'] }
}

export interface ReconcilerOptions {
  left: SideSpec<SourceRecord>
  right: SideSpec<SourceRecord>
  /**
   * The fields compared: names read the same on both sides, or a map of name → spec used on both
   * sides unless a side overrides it (`left.fields`).
   */
  fields: readonly string[] | Readonly<Record<string, FieldSpec>>
  /** How keys compare: as text (default) or as numbers. */
  keyType?: KeyType
  /**
   * `merge` needs both sources `ordered`; `bisect` needs both to summarize ranges; `partition`
   * takes anything. Default `auto`: merge when both are ordered, else partition.
   */
  engine?: 'auto' | Engine
  /** The partition engine's memory budget (estimated table size) before it spills. Default 32 MiB. */
  memoryBytes?: number
  tempDir?: string
  /**
   * Parse and canonicalize `jsonLinesSource` files in worker threads while this thread diffs
   * (one per side for merge, two for the side being read for partition). `true` always, `false`
   * never; unset, for files of 8 MiB or more. Only sides whose key and fields are paths go (a
   * function cannot go to a thread). The findings are the same either way.
   */
  workers?: boolean
  bisect?: { factor?: number; threshold?: number }
  /** Samples kept per kind of finding (counts stay exact). Default 100. */
  sampleLimit?: number
  /**
   * Incremental runs: read only records changed since the last run's watermark minus
   * `overlapMs`, up to now minus `settleMs` (records changed very recently may not have reached
   * the other side yet). Each side needs a `watermark` field. The first run is full.
   */
  incremental?: { overlapMs: number; settleMs?: number }
  alerts?: AlertOptions
  /** The repair for each finding; run in dry-run mode unless a run says `repair: 'apply'`. */
  repair?: RepairPlanner
  /** Schedules the reconciler through the jobs capability: an interval (`15m`, `1h`, ms) or a cron. */
  every?: string | number
  cron?: string
}

export interface RunOptions {
  signal?: AbortSignal
  /** Ignore the watermark: read everything. */
  full?: boolean
  /** `dry-run` (the default) lists the repairs; `apply` enqueues them as durable jobs. */
  repair?: 'dry-run' | 'apply'
  onProgress?: (progress: { left: number; right: number }) => void
  /**
   * Where this run's report is saved, and the previous one read for the delta, in place of
   * createReconcile's (the gateway keeps the reports of the runs it schedules in its store).
   */
  reports?: ReportStore
}

export interface RunContext {
  clock: Clock
  reports: ReportStore
  jobs?: Jobs | undefined
  events: Emitter<ReconcileEvents>
}

const zeroStats: SourceStats = { apiCalls: 0, rateLimitWaits: 0, rateLimitWaitMs: 0 }

function chooseEngine(name: string, options: ReconcilerOptions): Engine {
  const { left, right } = options
  const engine = options.engine ?? 'auto'
  if (engine === 'auto') return left.source.ordered && right.source.ordered ? 'merge' : 'partition'
  if (engine === 'merge' && !(left.source.ordered && right.source.ordered)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `reconcile ${name}`,
      target: 'engine',
      reason: `is "merge", but the ${left.source.ordered ? 'right' : 'left'} source is not ordered by key`,
    })
  }
  return engine
}

/** Runs one reconciliation and builds its report (stored, alerted and repaired by the caller's context). */
export async function runReconciler(
  name: string,
  options: ReconcilerOptions,
  context: RunContext,
  run: RunOptions = {},
): Promise<ReconcileReport> {
  const { clock } = context
  const reports = run.reports ?? context.reports
  const startedAt = clock.now()
  const shared: Record<string, FieldSpec> = Array.isArray(options.fields)
    ? Object.fromEntries((options.fields as readonly string[]).map((f) => [f, f]))
    : { ...(options.fields as Record<string, FieldSpec>) }
  const keyType = options.keyType ?? 'string'
  const left = compileSide('left', options.left, shared, keyType, name)
  const right = compileSide('right', options.right, shared, keyType, name)
  const engine = chooseEngine(name, options)
  const sampleLimit = options.sampleLimit ?? 100
  const repair = run.repair ?? 'dry-run'
  if (repair === 'apply' && options.repair && !context.jobs) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `reconcile ${name}`,
      target: 'repair',
      reason: 'is "apply", but no jobs were given to createReconcile to enqueue repairs with',
    })
  }
  const repairs = new Repairs(options.repair, context.jobs, repair !== 'apply', sampleLimit)
  const tally = new Tally(
    left.fields,
    sampleLimit,
    options.repair ? (f) => repairs.consider(f) : undefined,
  )
  const previous = await reports.latest(name)

  // Incremental: the window since the previous watermark, less the overlap.
  let window: { from?: number; to?: number } | undefined
  let watermarkBefore: number | undefined
  let watermarkAfter: number | undefined
  if (options.incremental) {
    if (!left.changedAt || !right.changedAt) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: `reconcile ${name}`,
        target: 'incremental',
        reason: `needs a watermark field on both sides (the ${left.changedAt ? 'right' : 'left'} has none)`,
      })
    }
    watermarkBefore = previous?.watermarkAfter
    const to = startedAt - (options.incremental.settleMs ?? 0)
    window =
      run.full || watermarkBefore === undefined
        ? { to }
        : { from: watermarkBefore - options.incremental.overlapMs, to }
    watermarkAfter = watermarkBefore
    if (window.from !== undefined) tally.deferred = { left: new Map(), right: new Map() }
  }
  const onChangedAt = (ms: number) => {
    if (watermarkAfter === undefined || ms > watermarkAfter) watermarkAfter = ms
  }

  const statsBefore = [left, right].map((s) => s.spec.source.stats?.() ?? zeroStats)
  // Keys changed too recently on either side are compared on neither.
  const unsettled = new Set<Key>()
  for (const side of [left, right]) {
    const keys = await side.spec.source.unsettled?.(run.signal ? { signal: run.signal } : {})
    for (const key of keys ?? []) unsettled.add(keyType === 'number' ? Number(key) : String(key))
  }

  let lastProgress = 0
  const afterBatch = (): Promise<void> | undefined => {
    const now = clock.now()
    if (now - lastProgress >= 200) {
      lastProgress = now
      const progress = { left: tally.counts.left, right: tally.counts.right }
      run.onProgress?.(progress)
      context.events.emit('reconcile:progress', { name, ...progress })
    }
    return repairs.flush()
  }
  const common = {
    reconciler: name,
    afterBatch,
    ...(run.signal && { signal: run.signal }),
    ...(window && { window }),
    ...(options.incremental && { onChangedAt }),
    ...(unsettled.size > 0 && { skip: unsettled }),
    ...(options.workers !== undefined && { workers: options.workers }),
  }
  let spilledPartitions = 0
  let bisection: BisectStats | undefined
  const l = left
  const r = right
  if (engine === 'merge') await mergeDiff(l, r, tally, common)
  else if (engine === 'bisect')
    bisection = await bisectDiff(l, r, tally, { ...common, ...options.bisect })
  else
    await partitionDiff(l, r, tally, {
      ...common,
      ...(options.memoryBytes !== undefined && { memoryBytes: options.memoryBytes }),
      ...(options.tempDir !== undefined && { tempDir: options.tempDir }),
      onSpill: (n) => (spilledPartitions = n),
    })

  const unconfirmedMissing = tally.deferred
    ? await confirmMissing(tally, l, r, run.signal)
    : undefined
  await repairs.flush(true)

  const statsAfter = [left, right].map((s) => s.spec.source.stats?.() ?? zeroStats)
  const spent = (k: keyof SourceStats) =>
    statsAfter[0]![k] - statsBefore[0]![k] + statsAfter[1]![k] - statsBefore[1]![k]
  const finishedAt = clock.now()
  const report: ReconcileReport = {
    id: `rec_${randomUUID()}`,
    name,
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    engine,
    mode: window?.from !== undefined ? 'incremental' : 'full',
    left: { source: left.spec.source.name },
    right: { source: right.spec.source.name },
    ...(window && { window }),
    ...(watermarkBefore !== undefined && { watermarkBefore }),
    ...(watermarkAfter !== undefined && { watermarkAfter }),
    ...(unconfirmedMissing !== undefined && { unconfirmedMissing }),
    unsettledSkipped: unsettled.size,
    counts: tally.counts,
    driftRate: driftRate(tally.counts),
    samples: tally.samples,
    sampleLimit,
    apiCalls: spent('apiCalls'),
    rateLimitWaits: spent('rateLimitWaits'),
    rateLimitWaitMs: spent('rateLimitWaitMs'),
    spilledPartitions,
    ...(bisection && { bisection }),
    repair: {
      dryRun: repairs.dryRun,
      planned: repairs.planned,
      enqueued: repairs.enqueued,
      samples: repairs.samples,
    },
    alerts: [],
  }
  if (previous) report.delta = deltaOf(report, previous)
  if (options.alerts) {
    report.alerts = alertsOf(report, options.alerts)
    if (report.alerts.length > 0 && options.alerts.webhook)
      await deliverAlerts(report, report.alerts, options.alerts.webhook)
  }
  await reports.save(report)
  context.events.emit('reconcile:finished', { name, report })
  if (report.alerts.length > 0)
    context.events.emit('reconcile:alert', { name, report, alerts: report.alerts })
  return report
}

/**
 * Incremental runs see only what changed in the window, so a key changed on one side only looks
 * missing on the other: it is looked up there. Returns how many could not be looked up.
 */
async function confirmMissing(
  tally: Tally,
  left: CompiledSide<SourceRecord>,
  right: CompiledSide<SourceRecord>,
  signal: AbortSignal | undefined,
): Promise<number> {
  const deferred = tally.deferred!
  tally.deferred = undefined
  let unconfirmed = 0
  const resolve = async (
    missing: Map<Key, string>,
    other: CompiledSide<SourceRecord>,
    onlyHere: (key: Key) => void,
    compare: (key: Key, here: string, there: string) => void,
  ) => {
    const source = other.spec.source
    if (missing.size > 0 && source.lookup) {
      const keys = [...missing.keys()]
      for (let i = 0; i < keys.length; i += 500) {
        for await (const batch of source.lookup(keys.slice(i, i + 500), signal ? { signal } : {})) {
          const { keys: found, canons } = toEntries(other, batch, {})
          found.forEach((key, j) => {
            const here = missing.get(key)
            if (here === undefined) return
            missing.delete(key)
            compare(key, here, canons[j]!)
          })
        }
      }
    } else unconfirmed += missing.size
    for (const key of missing.keys()) onlyHere(key)
  }
  await resolve(
    deferred.left,
    right,
    (key) => tally.leftOnly(key),
    (key, here, there) => {
      tally.counts.right++
      tally.compare(key, here, there)
    },
  )
  await resolve(
    deferred.right,
    left,
    (key) => tally.rightOnly(key),
    (key, here, there) => {
      tally.counts.left++
      tally.compare(key, there, here)
    },
  )
  return unconfirmed
}
