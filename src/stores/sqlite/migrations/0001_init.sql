-- Jobs, dead letters, cron slots, the webhook inbox, idempotency records and leases.
-- Times are milliseconds since the epoch, written by the application's clock.

CREATE TABLE seamline_jobs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'dead')),
  priority INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  deliveries INTEGER NOT NULL DEFAULT 0,
  rescues INTEGER NOT NULL DEFAULT 0,
  max_rescues INTEGER NOT NULL CHECK (max_rescues >= 0),
  key TEXT,
  order_key TEXT,
  group_key TEXT,
  group_limit INTEGER CHECK (group_limit >= 1),
  backoff TEXT,
  idempotency_key TEXT NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  dead_reason TEXT CHECK (dead_reason IN ('exhausted', 'permanent', 'worker_lost')),
  history TEXT NOT NULL DEFAULT '[]',
  finished_at INTEGER,
  CHECK ((state = 'running') = (lease_until IS NOT NULL)),
  CHECK ((state = 'dead') = (dead_reason IS NOT NULL)),
  CHECK ((group_key IS NULL) = (group_limit IS NULL))
);

-- A key is held while its job is pending or running; a finished job frees it.
CREATE UNIQUE INDEX seamline_jobs_key ON seamline_jobs (name, key)
  WHERE key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX seamline_jobs_due ON seamline_jobs (priority, run_at, id) WHERE state = 'pending';
CREATE INDEX seamline_jobs_lease ON seamline_jobs (lease_until) WHERE state = 'running';
CREATE INDEX seamline_jobs_order ON seamline_jobs (order_key, id)
  WHERE order_key IS NOT NULL AND state <> 'completed';
CREATE INDEX seamline_jobs_group ON seamline_jobs (group_key)
  WHERE group_key IS NOT NULL AND state = 'running';
CREATE INDEX seamline_jobs_group_pending ON seamline_jobs (group_key)
  WHERE group_key IS NOT NULL AND state = 'pending';
-- Partial, so that no index led by state tempts the planner away from seamline_jobs_due.
CREATE INDEX seamline_jobs_dead ON seamline_jobs (name, id) WHERE state = 'dead';
CREATE INDEX seamline_jobs_completed ON seamline_jobs (finished_at) WHERE state = 'completed';

-- One row per fired slot of a schedule, kept so that no process fires a slot twice.
CREATE TABLE seamline_cron_slots (
  schedule TEXT NOT NULL,
  slot_at INTEGER NOT NULL,
  job_id INTEGER,
  PRIMARY KEY (schedule, slot_at)
);

CREATE TABLE seamline_inbox (
  source TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  job_id INTEGER,
  PRIMARY KEY (source, event_id)
);
CREATE INDEX seamline_inbox_received ON seamline_inbox (received_at);

CREATE TABLE seamline_idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  recovery_point TEXT NOT NULL,
  locked_until INTEGER,
  response_status INTEGER,
  response_body TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX seamline_idempotency_created ON seamline_idempotency (created_at);

CREATE TABLE seamline_leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  token INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Fencing tokens outlive released leases, so a token is never handed out twice.
CREATE TABLE seamline_lease_tokens (
  name TEXT PRIMARY KEY,
  token INTEGER NOT NULL
);
