import type { TokenStore } from '../token-types.js'
import { connectionFromRow, connectionKey, connectionParams } from '../token-row.js'
import { readQueries } from '../sql-files.js'
import { lazyStatements, type SqliteDatabase } from './connection.js'

const sql = readQueries(new URL('./tokens.sql', import.meta.url), [
  'tokenGet',
  'tokenPut',
  'tokenSwap',
  'tokenList',
  'tokenCounts',
  'tokenDelete',
])

type Write = <T>(work: () => T) => Promise<T>
type Row = Record<string, unknown>

export function sqliteTokenStore(db: SqliteDatabase, write: Write): TokenStore {
  const s = lazyStatements(db, sql)
  return {
    get(ref) {
      const row = s.tokenGet.get(connectionKey(ref)) as Row | undefined
      return Promise.resolve(row && connectionFromRow(row))
    },
    put: (ref, change, now) =>
      write(() => connectionFromRow(s.tokenPut.get(connectionParams(ref, change, now)) as Row)),
    swap: (ref, generation, change, now) =>
      write(() => {
        const row = s.tokenSwap.get({ ...connectionParams(ref, change, now), generation }) as
          Row | undefined
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
    countByState: () =>
      Promise.resolve(s.tokenCounts.all() as Awaited<ReturnType<TokenStore['countByState']>>),
    delete: (ref) => write(() => s.tokenDelete.run(connectionKey(ref)).changes === 1),
  }
}
