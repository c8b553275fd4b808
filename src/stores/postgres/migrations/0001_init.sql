-- Jobs, dead letters, cron slots, the webhook inbox, idempotency records and leases.
-- Times are milliseconds since the epoch, written by the application's clock.

CREATE TABLE seamline_jobs (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'dead')),
  priority integer NOT NULL DEFAULT 0,
  run_at bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  deliveries integer NOT NULL DEFAULT 0,
  rescues integer NOT NULL DEFAULT 0,
  max_rescues integer NOT NULL CHECK (max_rescues >= 0),
  key text,
  order_key text,
  group_key text,
  group_limit integer CHECK (group_limit >= 1),
  backoff jsonb,
  idempotency_key text NOT NULL,
  lease_owner text,
  lease_until bigint,
  last_error jsonb,
  dead_reason text CHECK (dead_reason IN ('exhausted', 'permanent', 'worker_lost')),
  history jsonb NOT NULL DEFAULT '[]',
  finished_at bigint,
  CHECK ((state = 'running') = (lease_until IS NOT NULL)),
  CHECK ((state = 'dead') = (dead_reason IS NOT NULL)),
  CHECK ((group_key IS NULL) = (group_limit IS NULL))
);

-- A key is held while its job is pending or running; a finished job frees it.
CREATE UNIQUE INDEX seamline_jobs_key ON seamline_jobs (name, key)
  WHERE key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX seamline_jobs_due ON seamline_jobs (priority, run_at, id) WHERE state = 'pending';
-- Finds the groups a claim must lock without reading the due jobs that have none.
CREATE INDEX seamline_jobs_group_due ON seamline_jobs (priority, run_at, id)
  WHERE state = 'pending' AND group_key IS NOT NULL;
CREATE INDEX seamline_jobs_lease ON seamline_jobs (lease_until) WHERE state = 'running';
CREATE INDEX seamline_jobs_order ON seamline_jobs (order_key, id)
  WHERE order_key IS NOT NULL AND state <> 'completed';
CREATE INDEX seamline_jobs_group ON seamline_jobs (group_key)
  WHERE group_key IS NOT NULL AND state = 'running';
CREATE INDEX seamline_jobs_finished ON seamline_jobs (state, finished_at);

-- One row per fired slot of a schedule, kept so that no process fires a slot twice.
CREATE TABLE seamline_cron_slots (
  schedule text NOT NULL,
  slot_at bigint NOT NULL,
  job_id bigint,
  PRIMARY KEY (schedule, slot_at)
);

CREATE TABLE seamline_inbox (
  source text NOT NULL,
  event_id text NOT NULL,
  received_at bigint NOT NULL,
  headers jsonb NOT NULL,
  body bytea NOT NULL,
  job_id bigint,
  PRIMARY KEY (source, event_id)
);
CREATE INDEX seamline_inbox_received ON seamline_inbox (received_at);

CREATE TABLE seamline_idempotency (
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  recovery_point text NOT NULL,
  locked_until bigint,
  response_status integer,
  response_body jsonb,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX seamline_idempotency_created ON seamline_idempotency (created_at);

CREATE TABLE seamline_leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at bigint NOT NULL
);

-- Fencing tokens outlive released leases, so a token is never handed out twice.
CREATE TABLE seamline_lease_tokens (
  name text PRIMARY KEY,
  token bigint NOT NULL
);
