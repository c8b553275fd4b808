-- Statements of the SQLite job store. Parameters are named; times are milliseconds since the
-- epoch from the application's clock.

-- name: insert
INSERT INTO seamline_jobs (name, payload, state, priority, run_at, created_at, updated_at,
  max_attempts, max_rescues, key, order_key, group_key, group_limit, backoff, idempotency_key)
VALUES (:name, :payload, 'pending', :priority, :runAt, :now, :now, :maxAttempts, :maxRescues,
  :key, :orderKey, :groupKey, :groupLimit, :backoff, :idempotencyKey)
ON CONFLICT DO NOTHING
RETURNING id

-- name: insertUnkeyed
-- A job without a key conflicts with nothing: no conflict clause, and the id comes back as the
-- statement's last row id.
INSERT INTO seamline_jobs (name, payload, state, priority, run_at, created_at, updated_at,
  max_attempts, max_rescues, key, order_key, group_key, group_limit, backoff, idempotency_key)
VALUES (:name, :payload, 'pending', :priority, :runAt, :now, :now, :maxAttempts, :maxRescues,
  :key, :orderKey, :groupKey, :groupLimit, :backoff, :idempotencyKey)

-- name: holder
SELECT id, state FROM seamline_jobs
 WHERE name = :name AND key = :key AND state IN ('pending', 'running')

-- name: replace
UPDATE seamline_jobs
   SET payload = :payload, priority = :priority, run_at = :runAt, updated_at = :now,
       max_attempts = :maxAttempts, max_rescues = :maxRescues, order_key = :orderKey,
       group_key = :groupKey, group_limit = :groupLimit, backoff = :backoff
 WHERE id = :id AND state = 'pending'

-- name: claim
-- Candidates are taken in priority order; a job waits while an older job of its order key is
-- unfinished (dead letters included), or while its group is at its limit.
UPDATE seamline_jobs
   SET state = 'running', deliveries = deliveries + 1, lease_owner = :owner,
       lease_until = :leaseUntil, updated_at = :now
 WHERE id IN (
   WITH candidates AS (
     SELECT j.id, j.priority, j.run_at, j.group_key, j.group_limit
       FROM seamline_jobs j
      WHERE j.state = 'pending' AND j.run_at <= :now
        AND j.name IN (SELECT value FROM json_each(:names))
        AND (j.order_key IS NULL OR NOT EXISTS (
              SELECT 1 FROM seamline_jobs o
               WHERE o.order_key = j.order_key AND o.id < j.id AND o.state <> 'completed'))
      ORDER BY j.priority, j.run_at, j.id
      LIMIT :scan
   ), ranked AS (
     SELECT id, priority, run_at, group_key, group_limit,
            row_number() OVER (PARTITION BY group_key ORDER BY priority, run_at, id) AS place
       FROM candidates
   )
   SELECT id FROM ranked
    WHERE group_key IS NULL
       OR place + (SELECT count(*) FROM seamline_jobs r
                    WHERE r.group_key = ranked.group_key AND r.state = 'running') <= group_limit
    ORDER BY priority, run_at, id
    LIMIT :limit)
RETURNING *

-- name: groupsPending
-- Whether any pending job has a group limit: only then must a claim look past its own limit.
SELECT EXISTS (SELECT 1 FROM seamline_jobs
                WHERE group_key IS NOT NULL AND state = 'pending') AS found

-- name: complete
UPDATE seamline_jobs
   SET state = 'completed', lease_owner = NULL, lease_until = NULL, finished_at = :now,
       updated_at = :now
 WHERE id = :id AND deliveries = :delivery AND state = 'running'

-- name: remove
-- A completion that keeps nothing of the job.
DELETE FROM seamline_jobs WHERE id = :id AND deliveries = :delivery AND state = 'running'

-- name: fail
UPDATE seamline_jobs
   SET state = 'pending', attempts = attempts + 1, run_at = :runAt, last_error = :error,
       history = json_insert(CASE WHEN json_array_length(history) >= :historyLimit
                                  THEN json_remove(history, '$[0]') ELSE history END,
                             '$[#]', json_set(:event, '$.attempt', attempts + 1)),
       lease_owner = NULL, lease_until = NULL, updated_at = :now
 WHERE id = :id AND deliveries = :delivery AND state = 'running'

-- name: kill
UPDATE seamline_jobs
   SET state = 'dead', attempts = attempts + 1, dead_reason = :reason, last_error = :error,
       history = json_insert(CASE WHEN json_array_length(history) >= :historyLimit
                                  THEN json_remove(history, '$[0]') ELSE history END,
                             '$[#]', json_set(:event, '$.attempt', attempts + 1)),
       lease_owner = NULL, lease_until = NULL, finished_at = :now, updated_at = :now
 WHERE id = :id AND deliveries = :delivery AND state = 'running'

-- name: requeue
-- A snooze or a release: due again at :runAt without spending an attempt.
UPDATE seamline_jobs
   SET state = 'pending', run_at = :runAt,
       history = json_insert(CASE WHEN json_array_length(history) >= :historyLimit
                                  THEN json_remove(history, '$[0]') ELSE history END,
                             '$[#]', json_set(:event, '$.attempt', attempts + 1)),
       lease_owner = NULL, lease_until = NULL, updated_at = :now
 WHERE id = :id AND deliveries = :delivery AND state = 'running'

-- name: heartbeat
UPDATE seamline_jobs SET lease_until = :leaseUntil
 WHERE lease_owner = :owner AND state = 'running'

-- name: rescue
UPDATE seamline_jobs
   SET rescues = rescues + 1,
       state = CASE WHEN rescues >= max_rescues THEN 'dead' ELSE 'pending' END,
       dead_reason = CASE WHEN rescues >= max_rescues THEN 'worker_lost' END,
       finished_at = CASE WHEN rescues >= max_rescues THEN :now END,
       run_at = CASE WHEN rescues >= max_rescues THEN run_at
                     WHEN rescues = 0 THEN :now
                     ELSE :now + min(:capMs, :baseMs * (1 << min(rescues - 1, 30))) END,
       last_error = :error,
       history = json_insert(CASE WHEN json_array_length(history) >= :historyLimit
                                  THEN json_remove(history, '$[0]') ELSE history END,
                             '$[#]', json_object('at', :now, 'kind', 'lost',
                                                 'attempt', attempts + 1, 'error', json(:error))),
       lease_owner = NULL, lease_until = NULL, updated_at = :now
 WHERE state = 'running' AND lease_until < :now
RETURNING *

-- name: nextRunAt
SELECT min(run_at) AS at FROM seamline_jobs
 WHERE state = 'pending' AND name IN (SELECT value FROM json_each(:names))

-- name: get
SELECT * FROM seamline_jobs WHERE id = :id

-- name: list
SELECT * FROM seamline_jobs
 WHERE (:state IS NULL OR state = :state)
   AND (:name IS NULL OR name = :name)
   AND (:deadReason IS NULL OR dead_reason = :deadReason)
   AND (:errorName IS NULL OR json_extract(last_error, '$.name') = :errorName
        OR json_extract(last_error, '$.code') = :errorName)
   AND (:key IS NULL OR key = :key)
   AND (:since IS NULL OR coalesce(finished_at, created_at) >= :since)
   AND (:until IS NULL OR coalesce(finished_at, created_at) < :until)
   AND (:afterId IS NULL OR id > :afterId)
 ORDER BY id
 LIMIT :limit

-- name: count
SELECT count(*) AS n FROM seamline_jobs
 WHERE (:state IS NULL OR state = :state)
   AND (:name IS NULL OR name = :name)
   AND (:deadReason IS NULL OR dead_reason = :deadReason)
   AND (:errorName IS NULL OR json_extract(last_error, '$.name') = :errorName
        OR json_extract(last_error, '$.code') = :errorName)
   AND (:key IS NULL OR key = :key)
   AND (:since IS NULL OR coalesce(finished_at, created_at) >= :since)
   AND (:until IS NULL OR coalesce(finished_at, created_at) < :until)
   AND (:afterId IS NULL OR id > :afterId)

-- name: replay
UPDATE seamline_jobs
   SET state = 'pending', run_at = :now, attempts = 0, rescues = 0, dead_reason = NULL,
       finished_at = NULL, updated_at = :now,
       payload = coalesce(:payload, payload),
       idempotency_key = coalesce(:idempotencyKey, idempotency_key),
       history = json_insert(CASE WHEN json_array_length(history) >= :historyLimit
                                  THEN json_remove(history, '$[0]') ELSE history END,
                             '$[#]', json_set(:event, '$.attempt', attempts))
 WHERE id = :id AND state = 'dead'
RETURNING id

-- name: discard
DELETE FROM seamline_jobs WHERE id = :id AND state = 'dead'

-- name: takeSlot
INSERT INTO seamline_cron_slots (schedule, slot_at) VALUES (:schedule, :slotAt)
ON CONFLICT DO NOTHING

-- name: fillSlot
UPDATE seamline_cron_slots SET job_id = :jobId WHERE schedule = :schedule AND slot_at = :slotAt

-- name: counts
-- One count per state, each read from that state's partial index: a scan of the table would
-- read every completed job kept, on every scrape of the metrics.
SELECT
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'pending' AND run_at <= :now
      AND (:names IS NULL OR name IN (SELECT value FROM json_each(:names)))) AS ready,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'pending' AND run_at > :now
      AND (:names IS NULL OR name IN (SELECT value FROM json_each(:names)))) AS scheduled,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'running'
      AND (:names IS NULL OR name IN (SELECT value FROM json_each(:names)))) AS running,
  (SELECT count(*) FROM seamline_jobs
    WHERE state = 'dead'
      AND (:names IS NULL OR name IN (SELECT value FROM json_each(:names)))) AS dead,
  (SELECT min(run_at) FROM seamline_jobs
    WHERE state = 'pending' AND run_at <= :now
      AND (:names IS NULL OR name IN (SELECT value FROM json_each(:names)))) AS oldestReadyAt

-- name: prune
DELETE FROM seamline_jobs WHERE state = 'completed' AND finished_at < :before
