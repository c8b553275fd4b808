-- Reconciliation reports: one row per run, the whole report as JSON beside the columns that
-- lists filter and sort on and the summary they show.

CREATE TABLE seamline_reconcile_reports (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  drift_rate REAL NOT NULL CHECK (drift_rate >= 0 AND drift_rate <= 1),
  summary TEXT NOT NULL,
  report TEXT NOT NULL
);

CREATE INDEX seamline_reconcile_reports_by_name
  ON seamline_reconcile_reports (name, started_at DESC, id DESC);

CREATE INDEX seamline_reconcile_reports_by_start
  ON seamline_reconcile_reports (started_at DESC, id DESC);
