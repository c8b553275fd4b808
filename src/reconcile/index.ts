export {
  createReconcile,
  parseInterval,
  reconcileJobName,
  type Reconcile,
  type ReconcileOptions,
} from './reconcile.js'
export type { ReconcileEvents, ReconcilerOptions, RunOptions } from './reconciler.js'
export { loadReconcileModule, type ReconcileModule } from './module.js'
export {
  defineSource,
  fromIterable,
  inBatches,
  type IterableSourceOptions,
  type Key,
  type RangeSummary,
  type Ranges,
  type ReadOptions,
  type Source,
  type SourceParts,
  type SourceRecord,
  type SourceStats,
} from './source.js'
export type { FieldSpec, KeyType, SideSpec } from './side.js'
export {
  canonicalRecord,
  canonicalValue,
  hashCanonical,
  normalizeInstant,
  type ValueRule,
  type ValueType,
} from './canonical.js'
export { normalizeDecimal, numberToDecimal, shiftDecimal } from './decimal.js'
export { CsvParser, CsvError, parseCsv } from './csv.js'
export {
  csvSource,
  jsonLinesSource,
  type CsvSourceOptions,
  type FileSourceOptions,
} from './file-sources.js'
export { sqliteSource, type SqliteSourceOptions } from './sqlite-source.js'
export { postgresSource, type PostgresSourceOptions } from './postgres-source.js'
export { clientStats, httpListSource, type HttpListOptions } from './http-source.js'
export { stripeListSource, type StripeListOptions } from './stripe-source.js'
export { summarizeRecords } from './bisect-diff.js'
export type { Counts, FieldDifference, Finding, Samples } from './findings.js'
export type { RepairAction, RepairPlanner } from './repair.js'
export type { AlertOptions } from './alerts.js'
export {
  fileReports,
  memoryReports,
  storeReports,
  type Alert,
  type Engine,
  type ReconcileReport,
  type ReportDelta,
  type ReportStore,
  type ReportSummary,
} from './report.js'
