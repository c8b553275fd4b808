import type { Clock } from '../time/index.js'

/** Counts of a few named things (calls, failures, retries…) over the last `windowMs`. */
export interface RollingCounts<K extends string> {
  add(key: K): void
  /** The count of `key` in the window now. */
  total(key: K): number
  /** Forgets everything: a circuit starts afresh when it closes. */
  clear(): void
}

const slices = 10

/**
 * A ring of ten slices of time per key: old slices are zeroed as time moves on, so a busy
 * window costs no more than a quiet one (no timestamp per event). The window reaches back
 * between nine and ten slices, depending on where in the current one now is.
 */
export function rollingCounts<K extends string>(
  keys: readonly K[],
  windowMs: number,
  clock: Clock,
): RollingCounts<K> {
  const slice = windowMs / slices
  const rings = new Map(keys.map((k) => [k, new Array<number>(slices).fill(0)] as const))
  let current = Math.floor(clock.now() / slice)

  const advance = (): number => {
    const now = Math.floor(clock.now() / slice)
    for (let s = current + 1; s <= Math.min(now, current + slices); s++)
      for (const ring of rings.values()) ring[s % slices] = 0
    current = Math.max(current, now)
    return current % slices
  }

  return {
    add(key) {
      const at = advance()
      rings.get(key)![at]!++
    },
    total(key) {
      advance()
      return rings.get(key)!.reduce((a, b) => a + b, 0)
    },
    clear() {
      for (const ring of rings.values()) ring.fill(0)
    },
  }
}
