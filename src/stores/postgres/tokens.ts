import type pg from 'pg'
import type { ConnectionRef, ConnectionWrite, TokenStore } from '../token-types.js'
import { connectionFromRow } from '../token-row.js'
import { changes, readStatements, rows } from './statements.js'

const s = readStatements(
  new URL('./tokens.sql', import.meta.url),
  ['tokenGet', 'tokenPut', 'tokenSwap', 'tokenList', 'tokenDelete'],
  'seamline_tokens',
)

const values = (ref: ConnectionRef, write: ConnectionWrite, now: number) => ({
  provider: ref.provider,
  connectionId: ref.connectionId,
  state: write.state,
  accessToken: write.accessToken,
  refreshToken: write.refreshToken,
  expiresAt: write.expiresAt,
  refreshedAt: write.refreshedAt,
  lastError: write.lastError === null ? null : JSON.stringify(write.lastError),
  metadata: JSON.stringify(write.metadata),
  now,
})

export function postgresTokenStore(pool: pg.Pool): TokenStore {
  const key = (ref: ConnectionRef) => ({ provider: ref.provider, connectionId: ref.connectionId })
  return {
    async get(ref) {
      const [row] = await rows(pool, s.tokenGet, key(ref))
      return row && connectionFromRow(row)
    },
    async put(ref, change, now) {
      const [row] = await rows(pool, s.tokenPut, values(ref, change, now))
      return connectionFromRow(row!)
    },
    async swap(ref, generation, change, now) {
      const [row] = await rows(pool, s.tokenSwap, { ...values(ref, change, now), generation })
      return row ? connectionFromRow(row) : null
    },
    async list({ after, limit }) {
      const found = await rows(pool, s.tokenList, {
        afterProvider: after?.provider ?? '',
        afterConnectionId: after?.connectionId ?? '',
        limit,
      })
      return found.map(connectionFromRow)
    },
    delete: async (ref) => (await changes(pool, s.tokenDelete, key(ref))) === 1,
  }
}
