import { hash } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import type { Tally } from './findings.js'
import { mergeDiff } from './merge-diff.js'
import type { CompiledSide } from './side.js'
import { defineSource, type Ranges, type SourceRecord } from './source.js'

export interface BisectOptions {
  reconciler: string
  /** Segments a differing range is split into. Default 32 (data-diff's default). */
  factor?: number
  /** At or below this many rows (both sides together) a range is read and diffed directly. Default 16,384. */
  threshold?: number
  signal?: AbortSignal
  afterBatch?: () => Promise<void> | undefined
}

export interface BisectStats {
  /** Count-and-digest queries made, per side. */
  summaries: number
  /** Ranges whose records were read. */
  rangesRead: number
}

const mask = (1n << 64n) - 1n

/** A row's digest: the first 64 bits of SHA-1 over its key and canonical text. */
export function rowDigestOf<R>(side: CompiledSide<R>): (record: R) => bigint {
  return (record) => {
    const key = side.keyOf(record)
    const text = `${typeof key}:${String(key)}\u001e${side.canonOf(record, key)}`
    return BigInt(`0x${hash('sha1', text, 'hex').slice(0, 16)}`)
  }
}

/** Sums row digests mod 2^64, so a range's digest does not depend on row order. */
export const addDigest = (sum: bigint, digest: bigint): bigint => (sum + digest) & mask

/**
 * Diffs two sides that can count and digest key ranges (SQL), without reading what agrees: the
 * key range is split into `factor` segments, each side summarizes each segment, and only the
 * segments whose count or digest differ are split again, down to `threshold` rows, which are
 * read and merged. Keys must be integers.
 */
export async function bisectDiff(
  left: CompiledSide<SourceRecord>,
  right: CompiledSide<SourceRecord>,
  tally: Tally,
  options: BisectOptions,
): Promise<BisectStats> {
  const factor = options.factor ?? 32
  const threshold = options.threshold ?? 16_384
  const lr = left.spec.source.ranges
  const rr = right.spec.source.ranges
  if (!lr || !rr) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `reconcile ${options.reconciler}`,
      target: 'engine',
      reason: `is "bisect", but the ${lr ? 'right' : 'left'} source cannot summarize key ranges`,
    })
  }
  const kinds = [lr.digestKind ?? 'canonical', rr.digestKind ?? 'canonical']
  if (kinds[0] !== kinds[1]) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `reconcile ${options.reconciler}`,
      target: 'engine',
      reason: `is "bisect", but the sides digest ranges differently (${kinds.join(' and ')}), so no range would ever agree`,
    })
  }
  const stats: BisectStats = { summaries: 0, rangesRead: 0 }
  const { signal } = options
  const [lb, rb] = await Promise.all([lr.bounds(signal), rr.bounds(signal)])
  if (!lb && !rb) return stats
  const lo = Math.min(lb?.min ?? Infinity, rb?.min ?? Infinity)
  const hi = Math.max(lb?.max ?? -Infinity, rb?.max ?? -Infinity) + 1
  const leftDigest = rowDigestOf(left)
  const rightDigest = rowDigestOf(right)

  const readRange = async (from: number, to: number): Promise<void> => {
    stats.rangesRead++
    const ranged = (
      side: CompiledSide<SourceRecord>,
      ranges: Ranges<SourceRecord>,
    ): CompiledSide<SourceRecord> => ({
      ...side,
      spec: {
        ...side.spec,
        source: defineSource<SourceRecord>({
          name: side.spec.source.name,
          ordered: true,
          batches: () => ranges.read(from, to, signal),
        }),
      },
    })
    // Counts were taken by the summaries; the merge must not count the rows again.
    const before = { left: tally.counts.left, right: tally.counts.right }
    await mergeDiff(ranged(left, lr), ranged(right, rr), tally, {
      reconciler: options.reconciler,
      ...(signal && { signal }),
      ...(options.afterBatch && { afterBatch: options.afterBatch }),
    })
    tally.counts.left = before.left
    tally.counts.right = before.right
  }

  const visit = async (from: number, to: number): Promise<void> => {
    signal?.throwIfAborted()
    stats.summaries++
    const [a, b] = await Promise.all([
      lr.summarize(from, to, leftDigest, signal),
      rr.summarize(from, to, rightDigest, signal),
    ])
    tally.counts.left += a.count
    tally.counts.right += b.count
    if (a.count === b.count && a.digest === b.digest) {
      tally.matched(a.count)
      return
    }
    if (a.count + b.count <= threshold || to - from <= factor) {
      await readRange(from, to)
      return
    }
    tally.counts.left -= a.count
    tally.counts.right -= b.count
    const step = Math.ceil((to - from) / factor)
    for (let start = from; start < to; start += step) await visit(start, Math.min(to, start + step))
  }
  await visit(lo, hi)
  return stats
}

/** Digests records in memory the way a database would: for sources that hold their rows. */
export function summarizeRecords<R>(
  records: readonly R[],
  keyOf: (record: R) => number,
): Ranges<R> {
  const sorted = [...records].sort((a, b) => keyOf(a) - keyOf(b))
  const inRange = (lo: number, hi: number) => sorted.filter((r) => keyOf(r) >= lo && keyOf(r) < hi)
  return {
    bounds: () =>
      Promise.resolve(
        sorted.length === 0
          ? undefined
          : { min: keyOf(sorted[0]!), max: keyOf(sorted[sorted.length - 1]!) },
      ),
    summarize(lo, hi, rowDigest) {
      let sum = 0n
      const rows = inRange(lo, hi)
      for (const row of rows) sum = addDigest(sum, rowDigest(row))
      return Promise.resolve({ count: rows.length, digest: sum.toString() })
    },
    // eslint-disable-next-line @typescript-eslint/require-await
    async *read(lo, hi) {
      yield inRange(lo, hi)
    },
  }
}
