/** A record's identity on both sides: compared as text, or as numbers under `keyType: 'number'`. */
export type Key = string | number

export type SourceRecord = Record<string, unknown>

export interface ReadOptions {
  signal?: AbortSignal
  /**
   * Incremental runs: the records changed in [from, to) (ms since the epoch). A source that
   * cannot filter may ignore it; the reconciler filters on the side's watermark field anyway.
   */
  window?: { from?: number; to?: number }
}

/** What a source spent reaching its records: calls made, and waits for rate limits. */
export interface SourceStats {
  apiCalls: number
  rateLimitWaits: number
  rateLimitWaitMs: number
}

/** A key range [lo, hi) that a source can count and digest without handing its records over. */
export interface RangeSummary {
  count: number
  /** The sum (mod 2^64) of the rows' digests, as decimal text. */
  digest: string
}

/** Sources that can aggregate (SQL): what bisection needs. Keys must be integers. */
export interface Ranges<R = SourceRecord> {
  /**
   * What the digests are sums of: `canonical` (the default) when each row's digest comes from
   * `rowDigest`; another name when the database digests rows its own way (PostgreSQL), which
   * only a source of the same kind can be compared with.
   */
  readonly digestKind?: string
  /** The smallest and largest key, or undefined when there are no rows. */
  bounds(signal?: AbortSignal): Promise<{ min: number; max: number } | undefined>
  /** Counts and digests [lo, hi), each row's digest computed by `rowDigest` (the same on both sides). */
  summarize(
    lo: number,
    hi: number,
    rowDigest: (record: R) => bigint,
    signal?: AbortSignal,
  ): Promise<RangeSummary>
  /** The records of [lo, hi). */
  read(lo: number, hi: number, signal?: AbortSignal): AsyncIterable<readonly R[]>
}

/**
 * One side of a reconciliation: records in batches (a page, a chunk of lines, a cursor fetch),
 * so the diff loop runs synchronously inside a batch. Every source is also an async iterable
 * of its records.
 */
export interface Source<R = SourceRecord> extends AsyncIterable<R> {
  readonly name: string
  /** Records come in ascending key order (the merge engine checks as it goes). */
  readonly ordered: boolean
  batches(options?: ReadOptions): AsyncIterable<readonly R[]>
  /** The records with these keys, when the source can look them up (incremental runs use it). */
  lookup?: (keys: readonly Key[], options?: ReadOptions) => AsyncIterable<readonly R[]>
  /** Count-and-digest per key range, when the source can aggregate (bisection uses it). */
  readonly ranges?: Ranges<R>
  stats?: () => SourceStats
  /**
   * Keys changed so recently that they may not have reached the other side yet: left out of the
   * comparison on both sides (Stripe's list reads them from the events list).
   */
  unsettled?: (options?: ReadOptions) => Promise<readonly Key[]>
}

export interface SourceParts<R> {
  name: string
  ordered?: boolean
  batches(options: ReadOptions): AsyncIterable<readonly R[]>
  lookup?: (keys: readonly Key[], options: ReadOptions) => AsyncIterable<readonly R[]>
  ranges?: Ranges<R>
  stats?: () => SourceStats
  unsettled?: (options: ReadOptions) => Promise<readonly Key[]>
}

/** Makes a `Source` of its parts; records are also iterable one by one. */
export function defineSource<R = SourceRecord>(parts: SourceParts<R>): Source<R> {
  const source: Source<R> = {
    name: parts.name,
    ordered: parts.ordered ?? false,
    batches: (options = {}) => parts.batches(options),
    async *[Symbol.asyncIterator]() {
      for await (const batch of parts.batches({})) yield* batch
    },
    ...(parts.lookup && {
      lookup: (keys: readonly Key[], options: ReadOptions = {}) => parts.lookup!(keys, options),
    }),
    ...(parts.ranges && { ranges: parts.ranges }),
    ...(parts.stats && { stats: parts.stats }),
    ...(parts.unsettled && {
      unsettled: (options: ReadOptions = {}) => parts.unsettled!(options),
    }),
  }
  return source
}

const batchSize = 1_000

/** Groups any iterable (sync or async) of records into batches. */
export async function* inBatches<R>(
  records: Iterable<R> | AsyncIterable<R>,
  signal?: AbortSignal,
): AsyncGenerator<readonly R[]> {
  if (Array.isArray(records)) {
    for (let i = 0; i < records.length; i += batchSize) {
      signal?.throwIfAborted()
      yield (records as R[]).slice(i, i + batchSize)
    }
    return
  }
  let batch: R[] = []
  if (Symbol.asyncIterator in records) {
    for await (const record of records) {
      batch.push(record)
      if (batch.length === batchSize) {
        signal?.throwIfAborted()
        yield batch
        batch = []
      }
    }
  } else {
    for (const record of records) {
      batch.push(record)
      if (batch.length === batchSize) {
        signal?.throwIfAborted()
        yield batch
        batch = []
      }
    }
  }
  if (batch.length > 0) yield batch
}

export interface IterableSourceOptions<R> {
  name?: string
  /** Say so when the records come in ascending key order. */
  ordered?: boolean
  /** How to find records by key, for incremental runs. */
  lookup?: (keys: readonly Key[]) => Iterable<R> | AsyncIterable<R>
}

/**
 * Any iterable of records as a source: an array, a generator, an async generator, or a function
 * returning one (called once per run, so a run can start the reading afresh).
 */
export function fromIterable<R = SourceRecord>(
  records: Iterable<R> | AsyncIterable<R> | (() => Iterable<R> | AsyncIterable<R>),
  options: IterableSourceOptions<R> = {},
): Source<R> {
  const lookup = options.lookup
  return defineSource<R>({
    name: options.name ?? 'iterable',
    ordered: options.ordered ?? false,
    batches: ({ signal }) => inBatches(typeof records === 'function' ? records() : records, signal),
    ...(lookup && { lookup: (keys: readonly Key[]) => inBatches(lookup(keys)) }),
  })
}
