-- Statements of the PostgreSQL inbox, idempotency records and leases.

-- name: inboxInsert
-- Stores the events not stored yet, each with the job enqueued for it, and answers with those it
-- stored. The bodies come as one binary parameter, event i's from byte :bodyOffsets[i] to
-- :bodyOffsets[i + 1] (i counts from 1): nothing to decode, where base64 in the JSON cost about
-- a third of the statement. A concurrent receiver of the same event waits for this one's
-- commit, then stores nothing.
INSERT INTO seamline_inbox (source, event_id, received_at, headers, body, job_id, replay_key)
SELECT e.source, e.event_id, e.received_at, e.headers,
       substring(:bodies::bytea FROM (:bodyOffsets::integer[])[e.i] + 1
                 FOR (:bodyOffsets::integer[])[e.i + 1] - (:bodyOffsets::integer[])[e.i]),
       e.job_id, e.replay_key
  FROM jsonb_to_recordset(:events::jsonb) AS e(
         i integer, source text, event_id text, received_at bigint, headers jsonb, job_id bigint,
         replay_key text)
 ORDER BY e.i
ON CONFLICT DO NOTHING
RETURNING source, event_id

-- name: inboxReceive
-- Stores the events not stored yet and enqueues the job of each one it stored, in one
-- statement: one round trip, one commit. Job ids are drawn for every event first, so each inbox
-- row is written once, with its job's id; a duplicate's id is never used. For jobs without a
-- key only (a keyed job may meet a holder, which takes the transaction of `inboxInsert`). A
-- concurrent receiver of the same event waits for this one's commit, then stores nothing.
-- Bodies come as in `inboxInsert`; jobs as the job store's `insert` takes them (column arrays),
-- one per event that has one, which names its place there (`job`, counted from 1).
WITH e AS MATERIALIZED (
  SELECT e.*, CASE WHEN e.job IS NOT NULL THEN nextval('seamline_jobs_id_seq') END AS job_id
    FROM jsonb_to_recordset(:events::jsonb) AS e(
           i integer, source text, event_id text, received_at bigint, headers jsonb, job integer,
           replay_key text)
   ORDER BY e.i
), stored AS (
  INSERT INTO seamline_inbox (source, event_id, received_at, headers, body, job_id, replay_key)
  SELECT source, event_id, received_at, headers,
         substring(:bodies::bytea FROM (:bodyOffsets::integer[])[i] + 1
                   FOR (:bodyOffsets::integer[])[i + 1] - (:bodyOffsets::integer[])[i]),
         job_id, replay_key
    FROM e
   ORDER BY i
  ON CONFLICT DO NOTHING
  RETURNING source, event_id, job_id
), jobs AS (
  SELECT * FROM unnest(:names::text[], :payloads::jsonb[], :priorities::integer[],
                       :runAts::bigint[], :maxAttempts::integer[], :maxRescues::integer[],
                       :keys::text[], :orderKeys::text[], :groupKeys::text[],
                       :groupLimits::integer[], :backoffs::jsonb[], :idempotencyKeys::text[])
           WITH ORDINALITY AS j(name, payload, priority, run_at, max_attempts, max_rescues, key,
                                order_key, group_key, group_limit, backoff, idempotency_key, i)
), enqueued AS (
  INSERT INTO seamline_jobs (id, name, payload, state, priority, run_at, created_at, updated_at,
    max_attempts, max_rescues, order_key, group_key, group_limit, backoff, idempotency_key)
  SELECT stored.job_id, j.name, coalesce(j.payload, 'null'), 'pending', j.priority, j.run_at,
         e.received_at, e.received_at, j.max_attempts, j.max_rescues, j.order_key, j.group_key,
         j.group_limit, j.backoff, j.idempotency_key
    FROM stored
    JOIN e USING (source, event_id)
    JOIN jobs j ON j.i = e.job
   WHERE stored.job_id IS NOT NULL
   ORDER BY stored.job_id
)
SELECT source, event_id, job_id FROM stored

-- name: inboxDropJobs
-- The jobs enqueued for events that turned out to be stored already.
DELETE FROM seamline_jobs WHERE id = ANY(:ids::bigint[])

-- name: inboxGet
SELECT * FROM seamline_inbox WHERE source = :source::text AND event_id = :eventId::text

-- name: inboxPrune
DELETE FROM seamline_inbox WHERE received_at < :before::bigint

-- name: inboxList
-- Every filter is optional: a NULL parameter matches everything.
SELECT i.*, j.state AS job_state, j.attempts AS job_attempts
  FROM seamline_inbox i LEFT JOIN seamline_jobs j ON j.id = i.job_id
 WHERE (:source::text IS NULL OR i.source = :source::text)
   AND (:eventId::text IS NULL OR i.event_id = :eventId::text)
   AND (:state::text IS NULL OR j.state = :state::text)
   AND (:before::bigint IS NULL OR i.received_at < :before::bigint)
 ORDER BY i.received_at DESC, i.source, i.event_id
 LIMIT :limit::integer

-- name: idempotencyBegin
-- Takes the key when it is new, or when its record is unfinished, for the same request, and
-- its lock is free. ON CONFLICT locks the row, so of two concurrent callers one takes it.
INSERT INTO seamline_idempotency AS r (scope, key, fingerprint, recovery_point, locked_until,
  created_at, updated_at)
VALUES (:scope::text, :key::text, :fingerprint::text, 'started', :lockedUntil::bigint,
  :now::bigint, :now::bigint)
ON CONFLICT (scope, key) DO UPDATE
   SET locked_until = excluded.locked_until, updated_at = excluded.updated_at
 WHERE r.fingerprint = excluded.fingerprint AND r.response_status IS NULL
   AND (r.locked_until IS NULL OR r.locked_until <= excluded.updated_at)
RETURNING r.recovery_point

-- name: idempotencyGet
SELECT * FROM seamline_idempotency WHERE scope = :scope::text AND key = :key::text

-- name: idempotencyAdvance
UPDATE seamline_idempotency
   SET recovery_point = :recoveryPoint::text, updated_at = :now::bigint
 WHERE scope = :scope::text AND key = :key::text AND locked_until IS NOT NULL
   AND response_status IS NULL

-- name: idempotencyFinish
UPDATE seamline_idempotency
   SET recovery_point = 'finished', locked_until = NULL, response_status = :status::integer,
       response_body = :body::jsonb, updated_at = :now::bigint
 WHERE scope = :scope::text AND key = :key::text AND locked_until IS NOT NULL
   AND response_status IS NULL

-- name: idempotencyRelease
UPDATE seamline_idempotency SET locked_until = NULL
 WHERE scope = :scope::text AND key = :key::text

-- name: idempotencyPrune
DELETE FROM seamline_idempotency WHERE created_at < :before::bigint

-- name: leaseAcquire
-- Draws the next fencing token only when the lease looks free, then takes the lease only if it
-- still is: the upsert locks the row, so of two concurrent acquirers one wins (the other's
-- token is spent, never reused).
WITH free AS (
  SELECT NOT EXISTS (SELECT 1 FROM seamline_leases
                      WHERE name = :name::text AND expires_at > :now::bigint) AS yes
), token AS (
  INSERT INTO seamline_lease_tokens AS t (name, token)
  SELECT :name::text, 1 FROM free WHERE free.yes
  ON CONFLICT (name) DO UPDATE SET token = t.token + 1
  RETURNING t.token
)
INSERT INTO seamline_leases AS l (name, owner, token, expires_at)
SELECT :name::text, :owner::text, token.token, :expiresAt::bigint FROM token
ON CONFLICT (name) DO UPDATE
   SET owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at
 WHERE l.expires_at <= :now::bigint
RETURNING l.token

-- name: leaseRenew
UPDATE seamline_leases SET expires_at = :expiresAt::bigint
 WHERE name = :name::text AND owner = :owner::text AND token = :token::bigint
   AND expires_at > :now::bigint

-- name: leaseRelease
DELETE FROM seamline_leases
 WHERE name = :name::text AND owner = :owner::text AND token = :token::bigint
