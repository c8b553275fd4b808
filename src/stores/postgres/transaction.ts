import type pg from 'pg'
import { SeamlineError } from '../../errors/index.js'
import type { Queryable } from './statements.js'

/**
 * Runs `work` on one pooled connection between `begin` (a script starting with `BEGIN`) and
 * `COMMIT`, rolling back on a throw.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query(begin)
    const result = await work(client)
    await client.query('COMMIT')
    client.release()
    return result
  } catch (error) {
    // A connection that cannot even roll back is broken: the pool drops it rather than reuse it.
    const broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: unknown) => rollbackError,
    )
    client.release(broken instanceof Error ? broken : undefined)
    throw error
  }
}

type CallerClient = Queryable & {
  getTransactionStatus?: () => string | null
  totalCount?: unknown
}

/**
 * Checks that a caller's handle is a `pg` client (not a pool, which runs each query on any
 * connection) with a transaction open, so writes through it commit or roll back with the caller.
 */
export function pgTransaction(tx: unknown, operation: string): Queryable {
  const client = tx as CallerClient | null
  const reason = ((): string | undefined => {
    if (typeof client?.query !== 'function') {
      return 'must be a pg client (pg.Client or a client checked out of a pg.Pool) inside BEGIN … COMMIT'
    }
    if (typeof client.totalCount === 'number') {
      return 'is a pg.Pool, whose queries each take any connection; check out a client with pool.connect() and BEGIN a transaction on it'
    }
    const status = client.getTransactionStatus?.()
    if (status === 'I') return 'is a pg client with no transaction open; run BEGIN on it first'
    if (status === 'E') return 'is a pg client whose transaction failed; roll it back'
    if (status === null) return 'is a pg client that is not connected'
    return undefined
  })()
  if (reason !== undefined) {
    throw new SeamlineError('SEAM_ERR_STORE_TRANSACTION', { operation, target: 'tx', reason })
  }
  return client as Queryable
}
