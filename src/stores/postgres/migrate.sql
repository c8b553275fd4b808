-- Statements of the PostgreSQL migration runner.

-- name: lock
-- One migrator at a time per schema, until its transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('seamline_migrations.' || current_schema(), 0))

-- name: createTable
CREATE TABLE IF NOT EXISTS seamline_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)

-- name: current
SELECT coalesce(max(version), 0) AS version, current_database() || '.' || current_schema() AS at
  FROM seamline_migrations

-- name: record
-- When a migration ran is bookkeeping, not job timing: the database's clock is fine for it.
INSERT INTO seamline_migrations (version, name, applied_at)
VALUES (:version, :name, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
