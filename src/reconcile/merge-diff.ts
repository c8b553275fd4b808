import { SeamlineError } from '../errors/index.js'
import { compareKeys, entryBatches, type EntryBatch, type EntryOptions } from './entries.js'
import type { Tally } from './findings.js'
import type { CompiledSide } from './side.js'
import type { Key, SourceRecord } from './source.js'

/** One side's entries, read a batch at a time, with the key order checked as they come. */
class Cursor {
  keys: Key[] = []
  canons: string[] = []
  i = 0
  done = false
  private last: Key | undefined
  private readonly batches: AsyncIterator<EntryBatch>

  constructor(
    private readonly side: CompiledSide<SourceRecord>,
    options: EntryOptions,
    private readonly reconciler: string,
    private readonly onCount: (n: number) => void,
  ) {
    this.batches = entryBatches(side, options)[Symbol.asyncIterator]()
  }

  /** Reads the next non-empty batch; false at the end. */
  async fill(): Promise<boolean> {
    while (!this.done) {
      const next = await this.batches.next()
      if (next.done) {
        this.done = true
        return false
      }
      const { keys, canons } = next.value
      if (keys.length === 0) continue
      this.check(keys)
      this.onCount(keys.length)
      this.keys = keys
      this.canons = canons
      this.i = 0
      return true
    }
    return false
  }

  private check(keys: Key[]): void {
    let previous = this.last
    for (const key of keys) {
      if (previous !== undefined) {
        const order = compareKeys(previous, key)
        if (order >= 0) {
          const where = {
            operation: `reconcile ${this.reconciler}`,
            target: `${this.side.label} source ${this.side.spec.source.name}`,
          }
          throw order === 0
            ? new SeamlineError('SEAM_ERR_RECONCILE_DUPLICATE_KEY', {
                ...where,
                reason: `gave the key ${JSON.stringify(key)} twice`,
              })
            : new SeamlineError('SEAM_ERR_RECONCILE_UNSORTED', {
                ...where,
                reason: `is not in key order: ${JSON.stringify(key)} came after ${JSON.stringify(previous)}`,
              })
        }
      }
      previous = key
    }
    this.last = previous
  }

  async close(): Promise<void> {
    await this.batches.return?.()
  }
}

/**
 * Diffs two sides that both come in ascending key order, holding one batch of each in memory.
 * The order is verified as records arrive: a key out of order fails the run with
 * `SEAM_ERR_RECONCILE_UNSORTED` rather than reporting wrong findings.
 */
export async function mergeDiff(
  left: CompiledSide<SourceRecord>,
  right: CompiledSide<SourceRecord>,
  tally: Tally,
  options: EntryOptions & { reconciler: string; afterBatch?: () => Promise<void> | undefined },
): Promise<void> {
  const { reconciler, afterBatch, ...read } = options
  const l = new Cursor(left, read, reconciler, (n) => (tally.counts.left += n))
  const r = new Cursor(right, read, reconciler, (n) => (tally.counts.right += n))
  try {
    for (;;) {
      if (l.i >= l.keys.length && !l.done) await l.fill()
      if (r.i >= r.keys.length && !r.done) await r.fill()
      const lHas = l.i < l.keys.length
      const rHas = r.i < r.keys.length
      if (!lHas && !rHas) break
      if (!rHas) {
        while (l.i < l.keys.length) tally.leftOnly(l.keys[l.i]!, l.canons[l.i++])
      } else if (!lHas) {
        while (r.i < r.keys.length) tally.rightOnly(r.keys[r.i]!, r.canons[r.i++])
      } else {
        // The hot loop: both batches in hand, no awaiting until one runs out.
        const lk = l.keys
        const rk = r.keys
        let i = l.i
        let j = r.i
        while (i < lk.length && j < rk.length) {
          const a = lk[i]!
          const b = rk[j]!
          if (a === b) {
            tally.compare(a, l.canons[i]!, r.canons[j]!)
            i++
            j++
          } else if (a < b) {
            tally.leftOnly(a, l.canons[i])
            i++
          } else {
            tally.rightOnly(b, r.canons[j])
            j++
          }
        }
        l.i = i
        r.i = j
      }
      await afterBatch?.()
    }
  } finally {
    await Promise.all([l.close(), r.close()])
  }
}
