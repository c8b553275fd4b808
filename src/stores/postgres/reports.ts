import type pg from 'pg'
import type { ReportStore } from '../report-types.js'
import { reportFromRow, reportValues, summaryFromRow } from '../report-row.js'
import { changes, readStatements, rows } from './statements.js'

const s = readStatements(
  new URL('./reports.sql', import.meta.url),
  ['reportSave', 'reportGet', 'reportLatest', 'reportList', 'reportPrune'],
  'seamline_reports',
)

export function postgresReportStore(pool: pg.Pool): ReportStore {
  return {
    async save(report) {
      await rows(pool, s.reportSave, reportValues(report))
    },
    async get(id) {
      const [row] = await rows(pool, s.reportGet, { id })
      return row && reportFromRow(row)
    },
    async latest(name) {
      const [row] = await rows(pool, s.reportLatest, { name })
      return row && reportFromRow(row)
    },
    async list({ name, limit }) {
      return (await rows(pool, s.reportList, { name: name ?? null, limit })).map(summaryFromRow)
    },
    prune: (before) => changes(pool, s.reportPrune, { before }),
  }
}
