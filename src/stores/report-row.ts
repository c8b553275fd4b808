import type { StoredReport, StoredReportSummary } from './report-types.js'

// JSON columns come back as text from SQLite and parsed from PostgreSQL's jsonb.
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value)

export function summaryFromRow(row: Record<string, unknown>): StoredReportSummary {
  return {
    id: row.id as string,
    name: row.name as string,
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    driftRate: Number(row.drift_rate),
    summary: json(row.summary) as Record<string, unknown>,
  }
}

export function reportFromRow(row: Record<string, unknown>): StoredReport {
  return { ...summaryFromRow(row), report: json(row.report) }
}

export const reportValues = (report: StoredReport) => ({
  id: report.id,
  name: report.name,
  startedAt: report.startedAt,
  finishedAt: report.finishedAt,
  driftRate: report.driftRate,
  summary: JSON.stringify(report.summary),
  report: JSON.stringify(report.report),
})
