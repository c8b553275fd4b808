-- Statements of the PostgreSQL reconciliation reports.

-- name: reportSave
INSERT INTO seamline_reconcile_reports (id, name, started_at, finished_at, drift_rate, summary, report)
VALUES (:id::text, :name::text, :startedAt::bigint, :finishedAt::bigint,
  :driftRate::double precision, :summary::jsonb, :report::jsonb)
ON CONFLICT (id) DO UPDATE
   SET name = excluded.name, started_at = excluded.started_at,
       finished_at = excluded.finished_at, drift_rate = excluded.drift_rate,
       summary = excluded.summary, report = excluded.report

-- name: reportGet
SELECT * FROM seamline_reconcile_reports WHERE id = :id::text

-- name: reportLatest
SELECT * FROM seamline_reconcile_reports WHERE name = :name::text
 ORDER BY started_at DESC, id DESC LIMIT 1

-- name: reportList
SELECT id, name, started_at, finished_at, drift_rate, summary FROM seamline_reconcile_reports
 WHERE :name::text IS NULL OR name = :name::text
 ORDER BY started_at DESC, id DESC LIMIT :limit::integer

-- name: reportPrune
DELETE FROM seamline_reconcile_reports WHERE started_at < :before::bigint
