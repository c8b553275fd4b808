import type Database from 'better-sqlite3'
import { SeamlineError } from '../errors/index.js'
import { readQueries } from '../stores/index.js'
import { addDigest } from './bisect-diff.js'
import { defineSource, type Ranges, type Source, type SourceRecord } from './source.js'

const sql = readQueries(new URL('./sqlite-source.sql', import.meta.url), [
  'lookup',
  'bounds',
  'summary',
  'range',
])

export interface SqliteSourceOptions {
  /** A better-sqlite3 connection. */
  db: Database.Database
  /** Your SELECT; add `ORDER BY <key>` and `ordered: true` for the merge engine. */
  query: string
  /** Its `?` parameters. */
  params?: readonly unknown[]
  name?: string
  ordered?: boolean
  /**
   * The key column of the query's result: lets incremental runs look keys up, and (integer keys)
   * lets bisection count and digest key ranges inside SQLite.
   */
  key?: string
  /** Rows per batch. Default 1,000. */
  batchSize?: number
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`
const fill = (template: string, parts: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, part: string) => parts[part] ?? '')

/**
 * Rows of a query on SQLite, streamed with better-sqlite3's `.iterate()` (one row in memory at
 * a time, handed over in batches).
 */
export function sqliteSource(options: SqliteSourceOptions): Source {
  const { db, query, params = [], batchSize = 1_000 } = options
  const name = options.name ?? 'sqlite'
  const fail = (error: unknown): never => {
    throw new SeamlineError('SEAM_ERR_RECONCILE_SOURCE', {
      operation: 'query',
      target: `sqlite source ${name}`,
      reason: `failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    })
  }
  const prepare = (text: string) => {
    try {
      return db.prepare(text)
    } catch (error) {
      return fail(error)
    }
  }
  function* rows(text: string, args: readonly unknown[]): Generator<SourceRecord[]> {
    let batch: SourceRecord[] = []
    let iterator: IterableIterator<unknown>
    try {
      iterator = prepare(text).iterate(...args)
    } catch (error) {
      return fail(error)
    }
    try {
      for (const row of iterator) {
        batch.push(row as SourceRecord)
        if (batch.length === batchSize) {
          yield batch
          batch = []
        }
      }
    } finally {
      iterator.return?.()
    }
    if (batch.length > 0) yield batch
  }
  const key = options.key === undefined ? undefined : quoteIdentifier(options.key)
  const parts = { query, key: key ?? '' }

  let ranges: Ranges | undefined
  if (key !== undefined) {
    let rowDigest: ((record: SourceRecord) => bigint) | undefined
    let columns: string[] | undefined
    const ensureAggregate = () => {
      if (columns) return columns
      columns = prepare(query)
        .columns()
        .map((c) => c.name)
      const names = columns
      db.aggregate('seamline_reconcile_digest', {
        start: () => 0n,
        step: (sum: bigint, ...values: unknown[]) => {
          const record: SourceRecord = {}
          names.forEach((n, i) => (record[n] = values[i]))
          return addDigest(sum, rowDigest!(record))
        },
        result: (sum: bigint) => sum.toString(),
        varargs: true,
      })
      return columns
    }
    ranges = {
      bounds() {
        const row = prepare(fill(sql.bounds, parts)).get(...params) as
          { lo: number | null; hi: number | null } | undefined
        return Promise.resolve(
          row && row.lo !== null && row.hi !== null ? { min: row.lo, max: row.hi } : undefined,
        )
      },
      summarize(lo, hi, digest) {
        const names = ensureAggregate()
        rowDigest = digest
        const statement = prepare(
          fill(sql.summary, { ...parts, columns: names.map(quoteIdentifier).join(', ') }),
        )
        const row = statement.get(...params, lo, hi) as { n: number; digest: string | null }
        return Promise.resolve({ count: row.n, digest: row.digest ?? '0' })
      },
      // eslint-disable-next-line @typescript-eslint/require-await
      async *read(lo, hi) {
        yield* rows(fill(sql.range, parts), [...params, lo, hi])
      },
    }
  }

  return defineSource({
    name,
    ordered: options.ordered ?? false,
    // eslint-disable-next-line @typescript-eslint/require-await
    async *batches() {
      yield* rows(query, params)
    },
    ...(key !== undefined && {
      // eslint-disable-next-line @typescript-eslint/require-await
      async *lookup(keys) {
        yield* rows(fill(sql.lookup, parts), [...params, JSON.stringify(keys)])
      },
    }),
    ...(ranges && { ranges }),
  })
}
