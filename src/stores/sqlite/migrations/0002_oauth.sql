-- OAuth connections: one row per (provider, connection) with its sealed token pair.
-- Tokens are stored sealed (AES-256-GCM, bound to the row), never in clear.
-- `generation` grows with every write, so writers compare-and-swap on it.

CREATE TABLE seamline_connections (
  provider TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('healthy', 'refreshing', 'degraded', 'reauth_required')),
  generation INTEGER NOT NULL CHECK (generation >= 1),
  access_token TEXT,
  refresh_token TEXT,
  expires_at INTEGER,
  refreshed_at INTEGER,
  last_error TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (provider, connection_id)
);
