-- Statements of the PostgreSQL OAuth connections.

-- name: tokenGet
SELECT * FROM seamline_connections
 WHERE provider = :provider::text AND connection_id = :connectionId::text

-- name: tokenPut
INSERT INTO seamline_connections AS c (provider, connection_id, state, generation, access_token,
  refresh_token, expires_at, refreshed_at, last_error, metadata, created_at, updated_at)
VALUES (:provider::text, :connectionId::text, :state::text, 1, :accessToken::text,
  :refreshToken::text, :expiresAt::bigint, :refreshedAt::bigint, :lastError::jsonb,
  :metadata::jsonb, :now::bigint, :now::bigint)
ON CONFLICT (provider, connection_id) DO UPDATE
   SET state = excluded.state, generation = c.generation + 1,
       access_token = excluded.access_token, refresh_token = excluded.refresh_token,
       expires_at = excluded.expires_at, refreshed_at = excluded.refreshed_at,
       last_error = excluded.last_error, metadata = excluded.metadata,
       updated_at = excluded.updated_at
RETURNING *

-- name: tokenSwap
UPDATE seamline_connections
   SET state = :state::text, generation = generation + 1, access_token = :accessToken::text,
       refresh_token = :refreshToken::text, expires_at = :expiresAt::bigint,
       refreshed_at = :refreshedAt::bigint, last_error = :lastError::jsonb,
       metadata = :metadata::jsonb, updated_at = :now::bigint
 WHERE provider = :provider::text AND connection_id = :connectionId::text
   AND generation = :generation::bigint
RETURNING *

-- name: tokenList
SELECT * FROM seamline_connections
 WHERE (provider, connection_id) > (:afterProvider::text, :afterConnectionId::text)
 ORDER BY provider, connection_id
 LIMIT :limit::integer

-- name: tokenCounts
SELECT provider, state, count(*)::integer AS count FROM seamline_connections
 GROUP BY provider, state ORDER BY provider, state

-- name: tokenDelete
DELETE FROM seamline_connections
 WHERE provider = :provider::text AND connection_id = :connectionId::text
