import type { ReportStore } from '../report-types.js'
import { reportFromRow, reportValues, summaryFromRow } from '../report-row.js'
import { readQueries } from '../sql-files.js'
import { lazyStatements, type SqliteDatabase } from './connection.js'

const sql = readQueries(new URL('./reports.sql', import.meta.url), [
  'reportSave',
  'reportGet',
  'reportLatest',
  'reportList',
  'reportPrune',
])

type Write = <T>(work: () => T) => Promise<T>
type Row = Record<string, unknown>

export function sqliteReportStore(db: SqliteDatabase, write: Write): ReportStore {
  const s = lazyStatements(db, sql)
  return {
    save: (report) => write(() => void s.reportSave.run(reportValues(report))),
    get(id) {
      const row = s.reportGet.get({ id }) as Row | undefined
      return Promise.resolve(row && reportFromRow(row))
    },
    latest(name) {
      const row = s.reportLatest.get({ name }) as Row | undefined
      return Promise.resolve(row && reportFromRow(row))
    },
    list({ name, limit }) {
      const rows = s.reportList.all({ name: name ?? null, limit }) as Row[]
      return Promise.resolve(rows.map(summaryFromRow))
    },
    prune: (before) => write(() => s.reportPrune.run({ before }).changes),
  }
}
