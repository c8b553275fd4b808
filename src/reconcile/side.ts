import { SeamlineError } from '../errors/index.js'
import {
  canonicalValue,
  fieldSeparator,
  normalizeInstant,
  ValueError,
  type ValueRule,
} from './canonical.js'
import type { Key, Source, SourceRecord } from './source.js'

/** Where a compared field comes from on one side: a path (`total`, `price.amount`) or a function, and how to read it. */
export type FieldSpec =
  string | (ValueRule & { from?: string | ((record: SourceRecord) => unknown) })

export interface SideSpec<R = SourceRecord> {
  source: Source<R>
  /** The key field's path, or a function of the record. Default `id`. */
  key?: string | ((record: R) => unknown)
  /** Per-side overrides of the compared fields: `{ amount: { from: 'total', type: 'decimal' } }`. */
  fields?: Readonly<Record<string, FieldSpec>>
  /** The field saying when the record last changed (ms, seconds under `epoch: 's'`, or a date), for incremental runs. */
  watermark?: string | { from: string; epoch?: 's' | 'ms' }
}

export type KeyType = 'string' | 'number'

/** A side made ready for the engines: key, canonical text and change time of a record. */
export interface CompiledSide<R = SourceRecord> {
  readonly label: 'left' | 'right'
  readonly spec: SideSpec<R>
  readonly fields: readonly string[]
  keyOf(record: R): Key
  canonOf(record: R, key: Key): string
  changedAt?: (record: R) => number | undefined
  /** What the side was compiled from, so a worker thread can compile it again (when no part is a function). */
  readonly recipe: SideRecipe
}

export interface SideRecipe {
  label: 'left' | 'right'
  spec: Omit<SideSpec, 'source'> & { source: { name: string } }
  shared: Readonly<Record<string, FieldSpec>>
  keyType: KeyType
  reconciler: string
}

function getter(path: string): (record: SourceRecord) => unknown {
  if (!path.includes('.')) return (record) => record[path]
  const parts = path.split('.')
  return (record) => {
    let value: unknown = record
    for (const part of parts) {
      if (value === null || typeof value !== 'object') return undefined
      value = (value as Record<string, unknown>)[part]
    }
    return value
  }
}

const invalid = (target: string, reason: string) =>
  new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'reconcile', target, reason })

export function compileSide<R>(
  label: 'left' | 'right',
  spec: SideSpec<R>,
  shared: Readonly<Record<string, FieldSpec>>,
  keyType: KeyType,
  reconciler: string,
): CompiledSide<R> {
  const names = Object.keys(shared)
  for (const name of Object.keys(spec.fields ?? {})) {
    if (!Object.hasOwn(shared, name))
      throw invalid(
        `${label}.fields.${name}`,
        `is not one of the compared fields (${names.join(', ')})`,
      )
  }
  const readers = names.map((name) => {
    const field: FieldSpec = spec.fields?.[name] ?? shared[name] ?? name
    const rule: ValueRule = typeof field === 'string' ? {} : field
    const from = typeof field === 'string' ? field : (field.from ?? name)
    const get = typeof from === 'string' ? getter(from) : from
    return { name, rule, get }
  })
  const keyField = spec.key ?? 'id'
  const rawKey =
    typeof keyField === 'string'
      ? getter(keyField)
      : (keyField as (record: SourceRecord) => unknown)
  const keyOf = (record: R): Key => {
    const value = rawKey(record as SourceRecord)
    if (keyType === 'number') {
      const n = typeof value === 'number' ? value : Number(value)
      if (value === null || value === undefined || value === '' || !Number.isFinite(n))
        throw keyError(value)
      return n
    }
    if (typeof value === 'string') return value
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
      return String(value)
    throw keyError(value)
  }
  const keyError = (value: unknown) =>
    new SeamlineError('SEAM_ERR_RECONCILE_RECORD', {
      operation: `reconcile ${reconciler}`,
      target: `${label} source ${spec.source.name}`,
      reason: `gave a record whose key ${typeof keyField === 'string' ? keyField : '(function)'} is ${JSON.stringify(value) ?? String(value)}, not a ${keyType}`,
    })
  // Joined from one reused array, so the text is flat (a chain of `+=` would keep every piece).
  const parts = new Array<string>(readers.length)
  const canonOf = (record: R, key: Key): string => {
    for (let i = 0; i < readers.length; i++) {
      const reader = readers[i]!
      try {
        parts[i] = canonicalValue(reader.get(record as SourceRecord), reader.rule)
      } catch (error) {
        if (!(error instanceof ValueError)) throw error
        throw new SeamlineError('SEAM_ERR_RECONCILE_RECORD', {
          operation: `reconcile ${reconciler}`,
          target: `${label} record ${String(key)}`,
          reason: `has a field ${reader.name} that cannot be read: ${error.message}`,
        })
      }
    }
    return readers.length === 1 ? parts[0]! : parts.join(fieldSeparator)
  }
  const { source, ...rest } = spec as SideSpec
  const recipe: SideRecipe = {
    label,
    spec: { ...rest, source: { name: source.name } },
    shared,
    keyType,
    reconciler,
  }
  const compiled: CompiledSide<R> = { label, spec, fields: names, keyOf, canonOf, recipe }
  if (spec.watermark !== undefined) {
    const { from, epoch } =
      typeof spec.watermark === 'string'
        ? { from: spec.watermark, epoch: undefined }
        : spec.watermark
    const get = getter(from)
    compiled.changedAt = (record) => {
      const value = get(record as SourceRecord)
      if (value === null || value === undefined) return undefined
      if (value instanceof Date) return value.getTime()
      if (typeof value === 'number') return epoch === 's' ? value * 1_000 : value
      if (typeof value !== 'string') return undefined
      const instant = normalizeInstant(value)
      return instant === undefined ? undefined : Date.parse(instant)
    }
  }
  return compiled
}
