import type pg from 'pg'
import type { TokenStore } from '../token-types.js'
import { connectionFromRow, connectionKey, connectionParams } from '../token-row.js'
import { changes, readStatements, rows } from './statements.js'

const s = readStatements(
  new URL('./tokens.sql', import.meta.url),
  ['tokenGet', 'tokenPut', 'tokenSwap', 'tokenList', 'tokenCounts', 'tokenDelete'],
  'seamline_tokens',
)

export function postgresTokenStore(pool: pg.Pool): TokenStore {
  return {
    async get(ref) {
      const [row] = await rows(pool, s.tokenGet, connectionKey(ref))
      return row && connectionFromRow(row)
    },
    async put(ref, change, now) {
      const [row] = await rows(pool, s.tokenPut, connectionParams(ref, change, now))
      return connectionFromRow(row!)
    },
    async swap(ref, generation, change, now) {
      const [row] = await rows(pool, s.tokenSwap, {
        ...connectionParams(ref, change, now),
        generation,
      })
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
    countByState: async () =>
      (await rows(pool, s.tokenCounts, {})) as Awaited<ReturnType<TokenStore['countByState']>>,
    delete: async (ref) => (await changes(pool, s.tokenDelete, connectionKey(ref))) === 1,
  }
}
