-- OAuth connections: one row per (provider, connection) with its sealed token pair.
-- Tokens are stored sealed (AES-256-GCM, bound to the row), never in clear.
-- `generation` grows with every write, so writers compare-and-swap on it.

CREATE TABLE seamline_connections (
  provider text NOT NULL,
  connection_id text NOT NULL,
  state text NOT NULL
    CHECK (state IN ('healthy', 'refreshing', 'degraded', 'reauth_required')),
  generation bigint NOT NULL CHECK (generation >= 1),
  access_token text,
  refresh_token text,
  expires_at bigint,
  refreshed_at bigint,
  last_error jsonb,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (provider, connection_id)
);
