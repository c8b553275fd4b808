-- Statements of the PostgreSQL enqueue notifications.

-- name: notify
-- Delivered when the transaction that sends it commits; never if it rolls back.
SELECT pg_notify(:channel::text, :payload::text)
