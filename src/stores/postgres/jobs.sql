-- Statements of the PostgreSQL job store. Parameters are named (`:name`, made positional at
-- load); times are milliseconds since the epoch from the application's clock.

-- name: insert
-- Inserts a batch in one statement, its columns given as arrays (a JSON document of the batch
-- would be parsed whole at planning, and again into rows). Ids are drawn in input order
-- (`nextval` runs after the sort), so ids follow the batch and the answer maps back to it; a job
-- whose key is held is left out and answered with `inserted = false`. Rows go in by key, so two
-- batches waiting on each other's keys wait in one order (no deadlock), and of one key the
-- batch's first wins.
WITH input AS MATERIALIZED (
  SELECT nextval('seamline_jobs_id_seq') AS id, j.*
    FROM unnest(:names::text[], :payloads::jsonb[], :priorities::integer[], :runAts::bigint[],
                :maxAttempts::integer[], :maxRescues::integer[], :keys::text[],
                :orderKeys::text[], :groupKeys::text[], :groupLimits::integer[],
                :backoffs::jsonb[], :idempotencyKeys::text[])
           WITH ORDINALITY AS j(name, payload, priority, run_at, max_attempts, max_rescues, key,
                                order_key, group_key, group_limit, backoff, idempotency_key, i)
   ORDER BY j.i
), inserted AS (
  INSERT INTO seamline_jobs (id, name, payload, state, priority, run_at, created_at, updated_at,
    max_attempts, max_rescues, key, order_key, group_key, group_limit, backoff, idempotency_key)
  SELECT id, name, coalesce(payload, 'null'), 'pending', priority, run_at, :now::bigint,
         :now::bigint, max_attempts, max_rescues, key, order_key, group_key, group_limit,
         backoff, idempotency_key
    FROM input
   ORDER BY name, key, id
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT input.id, inserted.id IS NOT NULL AS inserted
  FROM input LEFT JOIN inserted USING (id)
 ORDER BY input.i

-- name: holders
-- The jobs holding these (name, key) pairs, locked (in id order) so a replace sees them as
-- they stay until commit.
SELECT j.id, j.name, j.key, j.state
  FROM seamline_jobs j
 WHERE (j.name, j.key) IN (SELECT * FROM unnest(:names::text[], :keys::text[]))
   AND j.key IS NOT NULL AND j.state IN ('pending', 'running')
 ORDER BY j.id
   FOR UPDATE OF j

-- name: replace
UPDATE seamline_jobs
   SET payload = :payload::jsonb, priority = :priority::integer, run_at = :runAt::bigint,
       updated_at = :now::bigint, max_attempts = :maxAttempts::integer,
       max_rescues = :maxRescues::integer, order_key = :orderKey::text,
       group_key = :groupKey::text, group_limit = :groupLimit::integer,
       backoff = :backoff::jsonb
 WHERE id = :id::bigint AND state = 'pending'

-- name: claimSettings
-- Starts every transaction that claims. A claim must walk the due index in order and stop at
-- its limit; a bitmap or sequential scan would sort every due job, and the planner picks one
-- when its statistics lag behind a burst of enqueues (or were never gathered).
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off

-- name: claimUngrouped
-- The claim while no due job has a group, which needs no lock: candidates in priority order,
-- skipping rows other claims hold; a job waits while an older job of its order key is
-- unfinished (dead letters included). When a due job has a group, it claims nothing and says so
-- (`grouped_due`, on a row of nulls when none is claimed): the claim then takes the path that
-- locks groups (lockGroups, claim), which keeps priority order across grouped jobs and others.
WITH grouped AS (
  SELECT EXISTS (SELECT 1 FROM seamline_jobs
                  WHERE state = 'pending' AND group_key IS NOT NULL AND run_at <= :now::bigint
                    AND name = ANY(:names::text[])) AS due
), candidates AS (
  SELECT j.id
    FROM seamline_jobs j
   WHERE j.state = 'pending' AND j.run_at <= :now::bigint
     AND j.name = ANY(:names::text[]) AND j.group_key IS NULL
     AND NOT (SELECT due FROM grouped)
     AND (j.order_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM seamline_jobs o
            WHERE o.order_key = j.order_key AND o.id < j.id AND o.state <> 'completed'))
   ORDER BY j.priority, j.run_at, j.id
   LIMIT :limit::integer
     FOR UPDATE OF j SKIP LOCKED
), claimed AS (
  UPDATE seamline_jobs j
     SET state = 'running', deliveries = j.deliveries + 1, lease_owner = :owner::text,
         lease_until = :leaseUntil::bigint, updated_at = :now::bigint
    FROM candidates
   WHERE j.id = candidates.id
  RETURNING j.*
)
SELECT claimed.*, grouped.due AS grouped_due FROM grouped LEFT JOIN claimed ON true

-- name: lockGroups
-- Takes the lock of every group with jobs due among the first :scan, in one order everywhere
-- (no deadlocks). The claim that follows is a later statement, so its snapshot sees every claim
-- made under these locks before: its count of a group's running jobs is current.
SELECT due.group_key, pg_advisory_xact_lock(hashtext('seamline_job_groups.' || current_schema()),
                                            due.lock_id)
  FROM (SELECT DISTINCT g.group_key, hashtext(g.group_key) AS lock_id
          FROM (SELECT group_key FROM seamline_jobs
                 WHERE state = 'pending' AND group_key IS NOT NULL AND run_at <= :now::bigint
                   AND name = ANY(:names::text[])
                 ORDER BY priority, run_at, id
                 LIMIT :scan::integer) g
         ORDER BY lock_id, g.group_key) due

-- name: claim
-- Candidates are taken in priority order, skipping rows other claims hold; a job waits while an
-- older job of its order key is unfinished (dead letters included), or while its group is at
-- its limit. Jobs of groups not in :groups (not locked) wait for a later claim.
WITH candidates AS (
  SELECT j.id, j.priority, j.run_at, j.group_key, j.group_limit
    FROM seamline_jobs j
   WHERE j.state = 'pending' AND j.run_at <= :now::bigint
     AND j.name = ANY(:names::text[])
     AND (j.group_key IS NULL OR j.group_key = ANY(:groups::text[]))
     AND (j.order_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM seamline_jobs o
            WHERE o.order_key = j.order_key AND o.id < j.id AND o.state <> 'completed'))
   ORDER BY j.priority, j.run_at, j.id
   LIMIT :scan::integer
     FOR UPDATE OF j SKIP LOCKED
), ranked AS (
  SELECT c.*,
         row_number() OVER (PARTITION BY c.group_key ORDER BY c.priority, c.run_at, c.id) AS place
    FROM candidates c
), chosen AS (
  SELECT r.id FROM ranked r
   WHERE r.group_key IS NULL
      OR r.place + (SELECT count(*) FROM seamline_jobs g
                     WHERE g.group_key = r.group_key AND g.state = 'running') <= r.group_limit
   ORDER BY r.priority, r.run_at, r.id
   LIMIT :limit::integer
)
UPDATE seamline_jobs j
   SET state = 'running', deliveries = j.deliveries + 1, lease_owner = :owner::text,
       lease_until = :leaseUntil::bigint, updated_at = :now::bigint
  FROM chosen
 WHERE j.id = chosen.id
RETURNING j.*

-- name: settle
-- Settles a batch of outcomes, each fenced by its delivery: a lease that passed to another
-- claim no longer matches and stays untouched. Rows are locked in id order first, as every
-- statement that waits for job rows does, so two of them never deadlock. Rows are found by id
-- alone: "running" is asked as "has a lease" (the same, by the table's check), which no index
-- answers; asked as a state, the planner would walk every running job's index entries, dead
-- ones included, and once per outcome when its statistics say few are running. The ids are also
-- given as an array, which the primary key answers: joined to the outcomes alone, a planner
-- whose statistics lag reads the whole table (completed jobs kept included) into a hash. A
-- completion marked `remove` deletes its row instead.
WITH o AS (
  SELECT * FROM jsonb_to_recordset(:outcomes::jsonb) AS o(
    id bigint, delivery integer, kind text, run_at bigint, error jsonb, reason text, event jsonb,
    remove boolean)
), locked AS (
  SELECT o.* FROM seamline_jobs j JOIN o ON j.id = o.id AND j.deliveries = o.delivery
   WHERE j.id = ANY (ARRAY(SELECT o.id FROM o)) AND j.lease_until IS NOT NULL
   ORDER BY j.id
     FOR UPDATE OF j
), removed AS (
  DELETE FROM seamline_jobs j USING locked o
   WHERE j.id = o.id AND o.remove
  RETURNING j.id, j.deliveries
), updated AS (
UPDATE seamline_jobs j
   SET state = CASE o.kind WHEN 'completed' THEN 'completed' WHEN 'dead' THEN 'dead'
                           ELSE 'pending' END,
       attempts = j.attempts + CASE WHEN o.kind IN ('failed', 'dead') THEN 1 ELSE 0 END,
       run_at = coalesce(o.run_at, j.run_at),
       last_error = CASE WHEN o.kind IN ('failed', 'dead') THEN o.error ELSE j.last_error END,
       dead_reason = o.reason,
       finished_at = CASE WHEN o.kind IN ('completed', 'dead') THEN :now::bigint END,
       history = CASE WHEN o.event IS NULL THEN j.history
                 ELSE (CASE WHEN jsonb_array_length(j.history) >= :historyLimit::integer
                            THEN j.history - 0 ELSE j.history END)
                      || jsonb_build_array(o.event || jsonb_build_object('attempt', j.attempts + 1))
                 END,
       lease_owner = NULL, lease_until = NULL, updated_at = :now::bigint
  FROM locked o
 WHERE j.id = o.id AND o.remove IS NOT TRUE
RETURNING j.id, j.deliveries
)
SELECT * FROM updated UNION ALL SELECT * FROM removed

-- name: heartbeat
-- A row another statement holds is being settled or rescued: its lease ends anyway.
WITH held AS (
  SELECT id FROM seamline_jobs
   WHERE lease_owner = :owner::text AND state = 'running'
     FOR UPDATE SKIP LOCKED
)
UPDATE seamline_jobs j SET lease_until = :leaseUntil::bigint
  FROM held
 WHERE j.id = held.id

-- name: rescue
-- A row another statement holds is being settled or rescued already; it is left to that one.
WITH lost AS (
  SELECT id FROM seamline_jobs
   WHERE state = 'running' AND lease_until < :now::bigint
   ORDER BY id
     FOR UPDATE SKIP LOCKED
)
UPDATE seamline_jobs j
   SET rescues = j.rescues + 1,
       state = CASE WHEN j.rescues >= j.max_rescues THEN 'dead' ELSE 'pending' END,
       dead_reason = CASE WHEN j.rescues >= j.max_rescues THEN 'worker_lost' END,
       finished_at = CASE WHEN j.rescues >= j.max_rescues THEN :now::bigint END,
       run_at = CASE WHEN j.rescues >= j.max_rescues THEN j.run_at
                     WHEN j.rescues = 0 THEN :now::bigint
                     ELSE :now::bigint + least(:capMs::bigint,
                            :baseMs::bigint * (1::bigint << least(j.rescues - 1, 30))) END,
       last_error = :error::jsonb,
       history = (CASE WHEN jsonb_array_length(j.history) >= :historyLimit::integer
                       THEN j.history - 0 ELSE j.history END)
                 || jsonb_build_array(jsonb_build_object('at', :now::bigint, 'kind', 'lost',
                                                         'attempt', j.attempts + 1,
                                                         'error', :error::jsonb)),
       lease_owner = NULL, lease_until = NULL, updated_at = :now::bigint
  FROM lost
 WHERE j.id = lost.id
RETURNING j.*

-- name: nextRunAt
SELECT min(run_at) AS at FROM seamline_jobs
 WHERE state = 'pending' AND name = ANY(:names::text[])

-- name: get
SELECT * FROM seamline_jobs WHERE id = :id::bigint

-- name: list
SELECT * FROM seamline_jobs
 WHERE (:state::text IS NULL OR state = :state::text)
   AND (:name::text IS NULL OR name = :name::text)
   AND (:deadReason::text IS NULL OR dead_reason = :deadReason::text)
   AND (:errorName::text IS NULL OR last_error ->> 'name' = :errorName::text
        OR last_error ->> 'code' = :errorName::text)
   AND (:key::text IS NULL OR key = :key::text)
   AND (:since::bigint IS NULL OR coalesce(finished_at, created_at) >= :since::bigint)
   AND (:until::bigint IS NULL OR coalesce(finished_at, created_at) < :until::bigint)
   AND (:afterId::bigint IS NULL OR id > :afterId::bigint)
 ORDER BY id
 LIMIT :limit::integer

-- name: count
SELECT count(*) AS n FROM seamline_jobs
 WHERE (:state::text IS NULL OR state = :state::text)
   AND (:name::text IS NULL OR name = :name::text)
   AND (:deadReason::text IS NULL OR dead_reason = :deadReason::text)
   AND (:errorName::text IS NULL OR last_error ->> 'name' = :errorName::text
        OR last_error ->> 'code' = :errorName::text)
   AND (:key::text IS NULL OR key = :key::text)
   AND (:since::bigint IS NULL OR coalesce(finished_at, created_at) >= :since::bigint)
   AND (:until::bigint IS NULL OR coalesce(finished_at, created_at) < :until::bigint)
   AND (:afterId::bigint IS NULL OR id > :afterId::bigint)

-- name: replay
-- A dead letter whose key another job holds again stays dead.
UPDATE seamline_jobs j
   SET state = 'pending', run_at = :now::bigint, attempts = 0, rescues = 0, dead_reason = NULL,
       finished_at = NULL, updated_at = :now::bigint,
       payload = coalesce(:payload::jsonb, j.payload),
       idempotency_key = coalesce(r.idempotency_key, j.idempotency_key),
       history = (CASE WHEN jsonb_array_length(j.history) >= :historyLimit::integer
                       THEN j.history - 0 ELSE j.history END)
                 || jsonb_build_array(:event::jsonb || jsonb_build_object('attempt', j.attempts))
  FROM unnest(:ids::bigint[], :idempotencyKeys::text[]) AS r(id, idempotency_key)
 WHERE j.id = r.id AND j.state = 'dead'
   AND (j.key IS NULL OR NOT EXISTS (
         SELECT 1 FROM seamline_jobs h
          WHERE h.name = j.name AND h.key = j.key AND h.state IN ('pending', 'running')))
RETURNING j.id

-- name: discard
DELETE FROM seamline_jobs WHERE id = ANY(:ids::bigint[]) AND state = 'dead'

-- name: takeSlot
INSERT INTO seamline_cron_slots (schedule, slot_at) VALUES (:schedule::text, :slotAt::bigint)
ON CONFLICT DO NOTHING

-- name: fillSlot
UPDATE seamline_cron_slots SET job_id = :jobId::bigint
 WHERE schedule = :schedule::text AND slot_at = :slotAt::bigint

-- name: counts
-- One count per state, each read from that state's partial index: a scan of the table would
-- read every completed job kept, on every scrape of the metrics.
SELECT
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'pending' AND run_at <= :now::bigint
      AND (:names::text[] IS NULL OR name = ANY(:names::text[]))) AS ready,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'pending' AND run_at > :now::bigint
      AND (:names::text[] IS NULL OR name = ANY(:names::text[]))) AS scheduled,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'running' AND (:names::text[] IS NULL OR name = ANY(:names::text[]))) AS running,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'dead' AND (:names::text[] IS NULL OR name = ANY(:names::text[]))) AS dead,
  (SELECT min(run_at) FROM seamline_jobs
    WHERE state = 'pending' AND run_at <= :now::bigint
      AND (:names::text[] IS NULL OR name = ANY(:names::text[]))) AS oldest_ready_at

-- name: prune
DELETE FROM seamline_jobs WHERE state = 'completed' AND finished_at < :before::bigint
