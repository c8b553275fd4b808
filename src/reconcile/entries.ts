import type { CompiledSide } from './side.js'
import type { Key, ReadOptions } from './source.js'
import { workerEntryBatches, workerPlanFor } from './worker-entries.js'

/** A batch of records reduced to what the engines compare: keys and canonical texts. */
export interface EntryBatch {
  keys: Key[]
  canons: string[]
  /**
   * Only when `firstLevelParts` asked for it, from a reading thread: the batch's entries as the
   * lines of the first-level spill files (keys and canons are then empty).
   */
  parts?: { count: number; texts: string[] }
}

export interface EntryOptions extends ReadOptions {
  /** Told the latest change time seen, for the next run's watermark. */
  onChangedAt?: (ms: number) => void
  /** Keys left out of the comparison (changed too recently on one side). */
  skip?: ReadonlySet<Key>
  /**
   * Read file sources in worker threads: `true` always, `false` never, unset for files large
   * enough to gain from it.
   */
  workers?: boolean
  /** Worker threads per side: 1 when both sides are read at once (merge), more when one at a time. */
  threads?: number
  /** The partition engine, once it spills: reading threads may send spill lines in place of entries. */
  firstLevelParts?: () => boolean
}

/** Reduces records to entries; under a window, keeps those changed inside it (by the side's watermark field). */
export function toEntries<R>(
  side: CompiledSide<R>,
  batch: readonly R[],
  options: EntryOptions,
): EntryBatch {
  const keys: Key[] = []
  const canons: string[] = []
  const { window, onChangedAt, skip } = options
  const changedAt = side.changedAt
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!
    if (changedAt && (window || onChangedAt)) {
      const at = changedAt(record)
      if (at !== undefined) {
        if (window?.from !== undefined && at < window.from) continue
        if (window?.to !== undefined && at >= window.to) continue
        onChangedAt?.(at)
      }
    }
    const key = side.keyOf(record)
    if (skip?.has(key)) continue
    keys.push(key)
    canons.push(side.canonOf(record, key))
  }
  return { keys, canons }
}

/** A side's entries, batch by batch: from a worker thread for file sources, else read here. */
export async function* entryBatches<R>(
  side: CompiledSide<R>,
  options: EntryOptions,
): AsyncGenerator<EntryBatch> {
  const plan = await workerPlanFor(side, options)
  if (plan) {
    yield* workerEntryBatches(side, plan, options, options.threads ?? 1)
    return
  }
  const read: ReadOptions = {
    ...(options.signal && { signal: options.signal }),
    ...(options.window && { window: options.window }),
  }
  for await (const batch of side.spec.source.batches(read)) {
    options.signal?.throwIfAborted()
    yield toEntries(side, batch, options)
  }
}

/** Key order: numbers numerically, text by UTF-16 code units (SQLite's BINARY, PostgreSQL's "C" collation). */
export const compareKeys = (a: Key, b: Key): number => (a < b ? -1 : a > b ? 1 : 0)
