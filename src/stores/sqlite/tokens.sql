-- Statements of the SQLite OAuth connections.

-- name: tokenGet
SELECT * FROM seamline_connections WHERE provider = :provider AND connection_id = :connectionId

-- name: tokenPut
INSERT INTO seamline_connections (provider, connection_id, state, generation, access_token,
  refresh_token, expires_at, refreshed_at, last_error, metadata, created_at, updated_at)
VALUES (:provider, :connectionId, :state, 1, :accessToken, :refreshToken, :expiresAt,
  :refreshedAt, :lastError, :metadata, :now, :now)
ON CONFLICT (provider, connection_id) DO UPDATE
   SET state = excluded.state, generation = generation + 1,
       access_token = excluded.access_token, refresh_token = excluded.refresh_token,
       expires_at = excluded.expires_at, refreshed_at = excluded.refreshed_at,
       last_error = excluded.last_error, metadata = excluded.metadata,
       updated_at = excluded.updated_at
RETURNING *

-- name: tokenSwap
UPDATE seamline_connections
   SET state = :state, generation = generation + 1, access_token = :accessToken,
       refresh_token = :refreshToken, expires_at = :expiresAt, refreshed_at = :refreshedAt,
       last_error = :lastError, metadata = :metadata, updated_at = :now
 WHERE provider = :provider AND connection_id = :connectionId AND generation = :generation
RETURNING *

-- name: tokenList
SELECT * FROM seamline_connections
 WHERE (provider, connection_id) > (:afterProvider, :afterConnectionId)
 ORDER BY provider, connection_id
 LIMIT :limit

-- name: tokenCounts
SELECT provider, state, count(*) AS count FROM seamline_connections
 GROUP BY provider, state ORDER BY provider, state

-- name: tokenDelete
DELETE FROM seamline_connections WHERE provider = :provider AND connection_id = :connectionId
