import type {
  ConnectionError,
  ConnectionRecord,
  ConnectionRef,
  ConnectionState,
  ConnectionWrite,
} from './token-types.js'

// SQLite returns JSON columns as text, PostgreSQL's jsonb as values: both read the same here.
const json = (value: unknown): unknown =>
  typeof value === 'string' ? (JSON.parse(value) as unknown) : value

const numberOrNull = (value: unknown): number | null => (value === null ? null : Number(value))

/** A `seamline_connections` row of either dialect as a record. */
export function connectionFromRow(row: Record<string, unknown>): ConnectionRecord {
  return {
    provider: row.provider as string,
    connectionId: row.connection_id as string,
    state: row.state as ConnectionState,
    generation: Number(row.generation),
    accessToken: (row.access_token as string | null) ?? null,
    refreshToken: (row.refresh_token as string | null) ?? null,
    expiresAt: numberOrNull(row.expires_at),
    refreshedAt: numberOrNull(row.refreshed_at),
    lastError: row.last_error === null ? null : (json(row.last_error) as ConnectionError),
    metadata: (json(row.metadata) ?? {}) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** A connection's key, as both dialects' statements name it. */
export const connectionKey = (ref: ConnectionRef) => ({
  provider: ref.provider,
  connectionId: ref.connectionId,
})

/** A write's parameters, as both dialects' statements name them (JSON columns as text). */
export const connectionParams = (ref: ConnectionRef, write: ConnectionWrite, now: number) => ({
  ...connectionKey(ref),
  state: write.state,
  accessToken: write.accessToken,
  refreshToken: write.refreshToken,
  expiresAt: write.expiresAt,
  refreshedAt: write.refreshedAt,
  lastError: write.lastError === null ? null : JSON.stringify(write.lastError),
  metadata: JSON.stringify(write.metadata),
  now,
})
