/** A reconciliation report as stored: the columns lists filter on, and the whole report as JSON. */
export interface StoredReport {
  id: string
  /** The reconciler's name. */
  name: string
  startedAt: number
  finishedAt: number
  driftRate: number
  /** What lists show (counts, engine…), as JSON, so they need not read whole reports. */
  summary: Record<string, unknown>
  /** The whole report (samples, delta, alerts…), as JSON. */
  report: unknown
}

export type StoredReportSummary = Omit<StoredReport, 'report'>

/** Reconciliation reports, newest first by start time. */
export interface ReportStore {
  /** Stores a report; saving an id again replaces it. */
  save(report: StoredReport): Promise<void>
  get(id: string): Promise<StoredReport | undefined>
  /** The most recent report of a reconciler. */
  latest(name: string): Promise<StoredReport | undefined>
  /** Summaries, newest first, of one reconciler or all; at most `limit`. */
  list(filter: { name?: string; limit: number }): Promise<StoredReportSummary[]>
  /** Deletes reports started before `before`; returns how many. */
  prune(before: number): Promise<number>
}
