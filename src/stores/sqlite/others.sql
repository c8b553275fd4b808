-- Statements of the SQLite inbox, idempotency records and leases.

-- name: inboxHas
-- The store holds the write lock while it receives, so looking first cannot race.
SELECT EXISTS (SELECT 1 FROM seamline_inbox
                WHERE source = :source AND (event_id = :eventId OR replay_key = :replayKey))
  AS found

-- name: inboxInsert
INSERT INTO seamline_inbox (source, event_id, received_at, headers, body, job_id, replay_key)
VALUES (:source, :eventId, :receivedAt, :headers, :body, :jobId, :replayKey)

-- name: inboxGet
SELECT * FROM seamline_inbox WHERE source = :source AND event_id = :eventId

-- name: inboxPrune
DELETE FROM seamline_inbox WHERE received_at < :before

-- name: inboxList
-- Every filter is optional: a NULL parameter matches everything.
SELECT i.*, j.state AS job_state, j.attempts AS job_attempts
  FROM seamline_inbox i LEFT JOIN seamline_jobs j ON j.id = i.job_id
 WHERE (:source IS NULL OR i.source = :source)
   AND (:eventId IS NULL OR i.event_id = :eventId)
   AND (:state IS NULL OR j.state = :state)
   AND (:before IS NULL OR i.received_at < :before)
 ORDER BY i.received_at DESC, i.source, i.event_id
 LIMIT :limit

-- name: idempotencyInsert
INSERT INTO seamline_idempotency (scope, key, fingerprint, recovery_point, locked_until,
  created_at, updated_at)
VALUES (:scope, :key, :fingerprint, 'started', :lockedUntil, :now, :now)
ON CONFLICT DO NOTHING

-- name: idempotencyGet
SELECT * FROM seamline_idempotency WHERE scope = :scope AND key = :key

-- name: idempotencyLock
UPDATE seamline_idempotency SET locked_until = :lockedUntil, updated_at = :now
 WHERE scope = :scope AND key = :key

-- name: idempotencyAdvance
UPDATE seamline_idempotency
   SET recovery_point = :recoveryPoint, updated_at = :now
 WHERE scope = :scope AND key = :key AND locked_until IS NOT NULL
   AND response_status IS NULL

-- name: idempotencyFinish
UPDATE seamline_idempotency
   SET recovery_point = 'finished', locked_until = NULL, response_status = :status,
       response_body = :body, updated_at = :now
 WHERE scope = :scope AND key = :key AND locked_until IS NOT NULL
   AND response_status IS NULL

-- name: idempotencyRelease
UPDATE seamline_idempotency SET locked_until = NULL WHERE scope = :scope AND key = :key

-- name: idempotencyPrune
DELETE FROM seamline_idempotency WHERE created_at < :before

-- name: leaseGet
SELECT * FROM seamline_leases WHERE name = :name

-- name: leaseNextToken
INSERT INTO seamline_lease_tokens (name, token) VALUES (:name, 1)
ON CONFLICT (name) DO UPDATE SET token = token + 1
RETURNING token

-- name: leasePut
INSERT INTO seamline_leases (name, owner, token, expires_at)
VALUES (:name, :owner, :token, :expiresAt)
ON CONFLICT (name) DO UPDATE
   SET owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at

-- name: leaseRenew
UPDATE seamline_leases SET expires_at = :expiresAt
 WHERE name = :name AND owner = :owner AND token = :token AND expires_at > :now

-- name: leaseRelease
DELETE FROM seamline_leases WHERE name = :name AND owner = :owner AND token = :token
