import pg from 'pg'
import { SeamlineError } from '../errors/index.js'
import { readQueries } from '../stores/index.js'
import { defineSource, type Ranges, type Source, type SourceRecord } from './source.js'

const sql = readQueries(new URL('./postgres-source.sql', import.meta.url), [
  'bounds',
  'summary',
  'range',
  'begin',
  'declare',
  'fetch',
  'close',
  'commit',
  'rollback',
  'lookup',
])

export interface PostgresSourceOptions {
  /** A pool (a connection is taken for each read and given back), or a connection string. */
  pool: pg.Pool | string
  /** Your SELECT; add `ORDER BY <key> COLLATE "C"` (text keys) and `ordered: true` for the merge engine. */
  query: string
  /** Its `$1`… parameters. */
  params?: readonly unknown[]
  name?: string
  ordered?: boolean
  /** The key column of the query's result: lets incremental runs look keys up. */
  key?: string
  /** Rows per FETCH. Default 1,000. */
  batchSize?: number
  /**
   * Bisection (integer `key`): the columns whose text PostgreSQL digests per key range, in
   * order. Digests are PostgreSQL's own (md5 of the values' SQL literals), so they agree only
   * with another PostgreSQL source digesting columns of the same types; a differing range is
   * still read and compared canonically.
   */
  digestColumns?: readonly string[]
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`
const fill = (template: string, parts: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, part: string) => parts[part] ?? '')

/**
 * Rows of a query on PostgreSQL, read through a server-side cursor (`DECLARE … CURSOR`, then
 * `FETCH` a batch at a time) inside a read-only repeatable-read transaction: memory holds one
 * batch, and the rows are one consistent snapshot.
 */
export function postgresSource(options: PostgresSourceOptions): Source {
  const { query, params = [], batchSize = 1_000 } = options
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'postgresSource',
      target: 'batchSize',
      reason: `must be a whole number >= 1 (got ${batchSize})`,
    })
  }
  const name = options.name ?? 'postgres'
  const fail = (error: unknown): never => {
    throw new SeamlineError('SEAM_ERR_RECONCILE_SOURCE', {
      operation: 'query',
      target: `postgres source ${name}`,
      reason: `failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    })
  }

  async function* cursor(text: string, args: readonly unknown[], signal?: AbortSignal) {
    const own = typeof options.pool === 'string'
    const pool =
      typeof options.pool === 'string'
        ? new pg.Pool({ connectionString: options.pool, max: 1 })
        : options.pool
    let client: pg.PoolClient | undefined
    let open = false
    let broken = false
    try {
      client = await pool.connect().catch(fail)
      await client.query(sql.begin).catch(fail)
      open = true
      await client.query(fill(sql.declare, { query: text }), [...args]).catch(fail)
      const fetch = fill(sql.fetch, { count: String(batchSize) })
      for (;;) {
        signal?.throwIfAborted()
        const result = await client.query<SourceRecord>(fetch).catch(fail)
        if (result.rows.length > 0) yield result.rows
        if (result.rows.length < batchSize) break
      }
      await client.query(sql.close)
      await client.query(sql.commit)
      open = false
    } finally {
      // Ended early (an error, or the reader stopped): the transaction is rolled back.
      if (client && open) await client.query(sql.rollback).catch(() => (broken = true))
      client?.release(broken)
      if (own) await pool.end()
    }
  }

  let ranges: Ranges | undefined
  if (options.key !== undefined && options.digestColumns) {
    const key = quoteIdentifier(options.key)
    const within = {
      query,
      key,
      lo: String(params.length + 1),
      hi: String(params.length + 2),
    }
    const columns = [options.key, ...options.digestColumns]
      .map((c) => `quote_nullable(${quoteIdentifier(c)})`)
      .join(', ')
    const one = async (text: string, args: readonly unknown[], signal?: AbortSignal) => {
      for await (const batch of cursor(text, args, signal)) return batch[0]
      return undefined
    }
    ranges = {
      digestKind: 'postgres',
      async bounds(signal) {
        const row = await one(fill(sql.bounds, { query, key }), params, signal)
        return row?.lo == null || row.hi == null
          ? undefined
          : { min: Number(row.lo), max: Number(row.hi) }
      },
      async summarize(lo, hi, _rowDigest, signal) {
        const row = await one(
          fill(sql.summary, { ...within, columns }),
          [...params, lo, hi],
          signal,
        )
        return { count: Number(row?.n ?? 0), digest: (row?.digest as string | undefined) ?? '0' }
      },
      read: (lo, hi, signal) => cursor(fill(sql.range, within), [...params, lo, hi], signal),
    }
  }

  return defineSource({
    name,
    ordered: options.ordered ?? false,
    ...(ranges && { ranges }),
    batches: ({ signal }) => cursor(query, params, signal),
    ...(options.key !== undefined && {
      lookup: (keys, { signal }) =>
        cursor(
          fill(sql.lookup, {
            query,
            key: quoteIdentifier(options.key!),
            next: String(params.length + 1),
          }),
          [...params, keys.map(String)],
          signal,
        ),
    }),
  })
}
