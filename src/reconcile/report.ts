import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store } from '../stores/index.js'
import type { Counts, Samples } from './findings.js'
import type { RepairAction } from './repair.js'

export type Engine = 'merge' | 'partition' | 'bisect'

/** An alert raised by a run: which threshold, its limit and the value that crossed it. */
export interface Alert {
  threshold: 'driftRate' | 'missing' | 'mismatched'
  limit: number
  value: number
  /** Whether the webhook took it (2xx); absent when no webhook is configured. */
  delivered?: boolean
  error?: string
}

/** Change since the previous run of the same reconciler. */
export interface ReportDelta {
  previousId: string
  driftRate: number
  matched: number
  missingInLeft: number
  missingInRight: number
  mismatched: number
}

/** What one run found: stored, compared with the previous run, listed by the admin surface. */
export interface ReconcileReport {
  id: string
  name: string
  startedAt: number
  finishedAt: number
  durationMs: number
  engine: Engine
  mode: 'full' | 'incremental'
  left: { source: string }
  right: { source: string }
  /** Incremental runs: the window read, and the watermark before and after. */
  window?: { from?: number; to?: number }
  watermarkBefore?: number
  watermarkAfter?: number
  /** Incremental runs: keys that looked missing and were not looked up (no `lookup` on that side). */
  unconfirmedMissing?: number
  /** Keys changed too recently (on either side) to be judged, left out on both. */
  unsettledSkipped: number
  counts: Counts
  /** (missing on either side + mismatched) / keys seen on either side; 0 when both are empty. */
  driftRate: number
  samples: Samples
  sampleLimit: number
  apiCalls: number
  rateLimitWaits: number
  rateLimitWaitMs: number
  /** The partition engine: partitions spilled to disk (0 when it fitted in memory). */
  spilledPartitions: number
  /** The bisect engine: summary queries and ranges read. */
  bisection?: { summaries: number; rangesRead: number }
  repair: { dryRun: boolean; planned: number; enqueued: number; samples: RepairAction[] }
  delta?: ReportDelta
  alerts: Alert[]
}

/** One line per report, for lists. */
export type ReportSummary = Pick<
  ReconcileReport,
  'id' | 'name' | 'startedAt' | 'durationMs' | 'engine' | 'mode' | 'counts' | 'driftRate'
>

export const summarize = (r: ReconcileReport): ReportSummary => ({
  id: r.id,
  name: r.name,
  startedAt: r.startedAt,
  durationMs: r.durationMs,
  engine: r.engine,
  mode: r.mode,
  counts: r.counts,
  driftRate: r.driftRate,
})

export function driftRate(counts: Counts): number {
  const findings = counts.missingInLeft + counts.missingInRight + counts.mismatched
  const keys = counts.matched + findings
  return keys === 0 ? 0 : findings / keys
}

export function deltaOf(report: ReconcileReport, previous: ReconcileReport): ReportDelta {
  return {
    previousId: previous.id,
    driftRate: report.driftRate - previous.driftRate,
    matched: report.counts.matched - previous.counts.matched,
    missingInLeft: report.counts.missingInLeft - previous.counts.missingInLeft,
    missingInRight: report.counts.missingInRight - previous.counts.missingInRight,
    mismatched: report.counts.mismatched - previous.counts.mismatched,
  }
}

/** Where reports are kept. `storeReports` (SQL), `memoryReports` and `fileReports` implement it. */
export interface ReportStore {
  save(report: ReconcileReport): Promise<void>
  get(id: string): Promise<ReconcileReport | undefined>
  /** The most recent report of a reconciler. */
  latest(name: string): Promise<ReconcileReport | undefined>
  /** Newest first. */
  list(filter?: { name?: string; limit?: number }): Promise<ReportSummary[]>
}

const newestFirst = (a: ReconcileReport, b: ReconcileReport) =>
  b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1)

/** Reports in this process's memory. */
export function memoryReports(): ReportStore {
  const reports: ReconcileReport[] = []
  return {
    save: (report) => {
      reports.push(structuredClone(report))
      return Promise.resolve()
    },
    get: (id) => Promise.resolve(structuredClone(reports.find((r) => r.id === id))),
    latest: (name) =>
      Promise.resolve(structuredClone(reports.filter((r) => r.name === name).sort(newestFirst)[0])),
    list: ({ name, limit = 50 } = {}) =>
      Promise.resolve(
        reports
          .filter((r) => name === undefined || r.name === name)
          .sort(newestFirst)
          .slice(0, limit)
          .map(summarize),
      ),
  }
}

/** Reports as JSON files in a folder, one `<id>.json` each (written whole, then renamed). */
export function fileReports(dir: string): ReportStore {
  const all = async (): Promise<ReconcileReport[]> => {
    let files: string[]
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.json'))
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return []
      throw error
    }
    const reports = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as ReconcileReport),
    )
    return reports.sort(newestFirst)
  }
  return {
    async save(report) {
      await mkdir(dir, { recursive: true })
      const path = join(dir, `${report.id}.json`)
      await writeFile(`${path}.tmp`, JSON.stringify(report, null, 2))
      await rename(`${path}.tmp`, path)
    },
    async get(id) {
      return (await all()).find((r) => r.id === id)
    },
    async latest(name) {
      return (await all()).find((r) => r.name === name)
    },
    async list({ name, limit = 50 } = {}) {
      return (await all())
        .filter((r) => name === undefined || r.name === name)
        .slice(0, limit)
        .map(summarize)
    },
  }
}

/**
 * Reports in the Seamline store (SQLite or PostgreSQL, table `seamline_reconcile_reports`),
 * where the admin API, the dashboard and `seamline reconcile reports` read them.
 */
export function storeReports(store: Pick<Store, 'reports'>): ReportStore {
  const { reports } = store
  return {
    save: (report) =>
      reports.save({
        id: report.id,
        name: report.name,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        driftRate: report.driftRate,
        summary: { ...summarize(report) },
        report,
      }),
    get: async (id) => (await reports.get(id))?.report as ReconcileReport | undefined,
    latest: async (name) => (await reports.latest(name))?.report as ReconcileReport | undefined,
    async list({ name, limit = 50 } = {}) {
      const found = await reports.list({ limit, ...(name !== undefined && { name }) })
      return found.map((row) => row.summary as unknown as ReportSummary)
    },
  }
}
