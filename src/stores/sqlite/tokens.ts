import type { ConnectionRef, ConnectionWrite, TokenStore } from '../token-types.js'
import { connectionFromRow } from '../token-row.js'
import { readQueries } from '../sql-files.js'
import { lazyStatements, type SqliteDatabase } from './connection.js'

const sql = readQueries(new URL('./tokens.sql', import.meta.url), [
  'tokenGet',
  'tokenPut',
  'tokenSwap',
  'tokenList',
  'tokenDelete',
])

type Write = <T>(work: () => T) => Promise<T>
type Row = Record<string, unknown>

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

export function sqliteTokenStore(db: SqliteDatabase, write: Write): TokenStore {
  const s = lazyStatements(db, sql)
  const key = (ref: ConnectionRef) => ({ provider: ref.provider, connectionId: ref.connectionId })
  return {
    get(ref) {
      const row = s.tokenGet.get(key(ref)) as Row | undefined
      return Promise.resolve(row && connectionFromRow(row))
    },
    put: (ref, change, now) =>
      write(() => connectionFromRow(s.tokenPut.get(values(ref, change, now)) as Row)),
    swap: (ref, generation, change, now) =>
      write(() => {
        const row = s.tokenSwap.get({ ...values(ref, change, now), generation }) as Row | undefined
        return row ? connectionFromRow(row) : null
      }),
    list({ after, limit }) {
      const rows = s.tokenList.all({
        afterProvider: after?.provider ?? '',
        afterConnectionId: after?.connectionId ?? '',
        limit,
      }) as Row[]
      return Promise.resolve(rows.map(connectionFromRow))
    },
    delete: (ref) => write(() => s.tokenDelete.run(key(ref)).changes === 1),
  }
}
