import { fieldSeparator, readCanonical } from './canonical.js'
import type { Key } from './source.js'

/** One field that differs, with its canonical value on each side. */
export interface FieldDifference {
  left: unknown
  right: unknown
}

export type Finding =
  | { kind: 'missing-in-right'; key: Key }
  | { kind: 'missing-in-left'; key: Key }
  | { kind: 'mismatched'; key: Key; fields: Record<string, FieldDifference> }

export interface Counts {
  left: number
  right: number
  matched: number
  missingInLeft: number
  missingInRight: number
  mismatched: number
}

export interface Samples {
  missingInLeft: Key[]
  missingInRight: Key[]
  mismatched: { key: Key; fields: Record<string, FieldDifference> }[]
}

/**
 * Counts every outcome exactly and keeps the first `cap` samples of each kind; each finding also
 * goes to `onFinding` (repair planning), which sees them all.
 */
export class Tally {
  readonly counts: Counts = {
    left: 0,
    right: 0,
    matched: 0,
    missingInLeft: 0,
    missingInRight: 0,
    mismatched: 0,
  }
  readonly samples: Samples = { missingInLeft: [], missingInRight: [], mismatched: [] }

  constructor(
    private readonly fields: readonly string[],
    private readonly cap: number,
    private readonly onFinding?: (finding: Finding) => void,
  ) {}

  matched(n = 1): void {
    this.counts.matched += n
  }

  /** Incremental runs: missing keys wait here (with their canonical text) to be looked up. */
  deferred: { left: Map<Key, string>; right: Map<Key, string> } | undefined

  leftOnly(key: Key, canon = ''): void {
    if (this.deferred) {
      this.deferred.left.set(key, canon)
      return
    }
    this.counts.missingInRight++
    if (this.samples.missingInRight.length < this.cap) this.samples.missingInRight.push(key)
    this.onFinding?.({ kind: 'missing-in-right', key })
  }

  rightOnly(key: Key, canon = ''): void {
    if (this.deferred) {
      this.deferred.right.set(key, canon)
      return
    }
    this.counts.missingInLeft++
    if (this.samples.missingInLeft.length < this.cap) this.samples.missingInLeft.push(key)
    this.onFinding?.({ kind: 'missing-in-left', key })
  }

  /** Both sides hold `key`: matched when the canonical texts are equal, else the fields that differ. */
  compare(key: Key, left: string, right: string): void {
    if (left === right) {
      this.counts.matched++
      return
    }
    this.counts.mismatched++
    const keep = this.samples.mismatched.length < this.cap
    if (!keep && !this.onFinding) return
    const fields = this.differences(left, right)
    if (keep) this.samples.mismatched.push({ key, fields })
    this.onFinding?.({ kind: 'mismatched', key, fields })
  }

  private differences(left: string, right: string): Record<string, FieldDifference> {
    const a = left.split(fieldSeparator)
    const b = right.split(fieldSeparator)
    const fields: Record<string, FieldDifference> = {}
    this.fields.forEach((name, i) => {
      const l = a[i] ?? 'null'
      const r = b[i] ?? 'null'
      if (l !== r) fields[name] = { left: readCanonical(l), right: readCanonical(r) }
    })
    return fields
  }
}
