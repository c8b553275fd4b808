import { hash } from 'node:crypto'
import { normalizeDecimal, numberToDecimal, shiftDecimal } from './decimal.js'

/**
 * How a field's values are read before comparing. `auto` (the default): numbers, bigints and
 * decimal-looking strings are exact decimals, ISO-8601 strings and `Date`s are instants, objects
 * are compared with their keys sorted, `null` and `undefined` are the same null.
 */
export type ValueType = 'auto' | 'decimal' | 'string' | 'date' | 'boolean' | 'json'

export interface ValueRule {
  type?: ValueType
  /** Moves a decimal's point: `-2` reads cents as units (`1050` → `10.5`), exactly. */
  shift?: number
  /** For `date`: what a number counts since the epoch (Stripe's `created` is seconds). Default `ms`. */
  epoch?: 's' | 'ms'
}

const strictDecimal = /^-?\d+(?:\.\d+)?$/
const isoInstant =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i

const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const digitsAt = (text: string, at: number, n: number): number => {
  let value = 0
  for (let i = at; i < at + n; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    value = value * 10 + c
  }
  return value
}

/** True when `text` is already what `toISOString()` writes (the common case), checked without parsing a date. */
function isCanonicalInstant(text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return false
  if (
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46
  )
    return false
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return (
    year >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= (month === 2 && !leap ? 28 : daysIn[month - 1]!) &&
    digitsAt(text, 11, 2) >= 0 &&
    digitsAt(text, 11, 2) < 24 &&
    digitsAt(text, 14, 2) >= 0 &&
    digitsAt(text, 14, 2) < 60 &&
    digitsAt(text, 17, 2) >= 0 &&
    digitsAt(text, 17, 2) < 60 &&
    digitsAt(text, 20, 3) >= 0
  )
}

/** An ISO-8601 date or date-time as `2026-01-02T03:04:05.678Z`; no zone is read as UTC. */
export function normalizeInstant(text: string): string | undefined {
  if (isCanonicalInstant(text)) return text
  const match = isoInstant.exec(text)
  if (!match) return undefined
  const [, day, time, zone] = match
  const offset =
    zone === undefined
      ? 'Z'
      : /^[+-]\d{4}$/.test(zone)
        ? `${zone.slice(0, 3)}:${zone.slice(3)}`
        : zone
  const ms = Date.parse(
    time === undefined ? `${day}T00:00:00Z` : `${day}T${time}${offset.toUpperCase()}`,
  )
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** Thrown for a value a rule cannot read; the reconciler names the field and the record. */
export class ValueError extends Error {
  override readonly name = 'ValueError'
}

function decimalText(value: unknown, rule: ValueRule): string | undefined {
  let text: string | undefined
  if (typeof value === 'number') text = numberToDecimal(value)
  else if (typeof value === 'bigint') text = value.toString()
  else if (typeof value === 'string') {
    const trimmed = value.trim()
    text =
      rule.type === 'decimal'
        ? normalizeDecimal(trimmed)
        : strictDecimal.test(trimmed)
          ? normalizeDecimal(trimmed)
          : undefined
  }
  if (text === undefined) return undefined
  return rule.shift ? shiftDecimal(text, rule.shift) : text
}

function instantText(value: unknown, rule: ValueRule): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString()
  if (typeof value === 'number') {
    const ms = rule.epoch === 's' ? value * 1_000 : value
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
  }
  if (typeof value === 'string') {
    if (rule.epoch !== undefined && strictDecimal.test(value))
      return instantText(Number(value), rule)
    return normalizeInstant(value.trim())
  }
  return undefined
}

/** Objects with sorted keys, arrays in order, every leaf under the `auto` rule. */
function jsonText(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string': {
      const decimal = strictDecimal.test(value) ? normalizeDecimal(value) : undefined
      if (decimal !== undefined) return decimal
      return JSON.stringify(normalizeInstant(value) ?? value)
    }
    case 'number':
    case 'bigint':
      return decimalText(value, {}) ?? 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value instanceof Date) return JSON.stringify(instantText(value, {}) ?? null)
      if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`
      const record = value as Record<string, unknown>
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${jsonText(record[k])}`).join(',')}}`
    }
    default:
      throw new ValueError(`a ${typeof value} has no canonical form`)
  }
}

/**
 * The canonical text of one value under a rule: `null`, `true`/`false`, a decimal as bare
 * digits (`10.5`), an instant or a string as a JSON string, objects with sorted keys. Equal
 * meanings give equal texts, whatever the formatting or key order.
 */
export function canonicalValue(value: unknown, rule: ValueRule = {}): string {
  if (value === null || value === undefined) return 'null'
  const type = rule.type ?? 'auto'
  switch (type) {
    case 'auto':
      if (typeof value === 'string') {
        // Only text starting with a digit or a minus can be a decimal or an instant.
        const first = value.charCodeAt(0)
        if ((first >= 48 && first <= 57) || first === 45) {
          const decimal = decimalText(value, rule)
          if (decimal !== undefined) return decimal
          if (value.length >= 10 && value.charCodeAt(4) === 45) {
            const instant = normalizeInstant(value)
            if (instant !== undefined) return JSON.stringify(instant)
          }
        }
        return JSON.stringify(value)
      }
      if (typeof value === 'number' || typeof value === 'bigint') {
        const decimal = decimalText(value, rule)
        if (decimal === undefined) throw new ValueError(`${String(value)} is not a finite number`)
        return decimal
      }
      if (rule.shift && typeof value === 'object')
        throw new ValueError('an object cannot be shifted')
      return jsonText(value)
    case 'decimal': {
      const decimal = decimalText(value, rule)
      if (decimal === undefined) throw new ValueError(`${describe(value)} is not a decimal number`)
      return decimal
    }
    case 'date': {
      const instant = instantText(value, rule)
      if (instant === undefined) throw new ValueError(`${describe(value)} is not a date`)
      return JSON.stringify(instant)
    }
    case 'string':
      return JSON.stringify(typeof value === 'string' ? value : jsonText(value))
    case 'boolean':
      if (value === true || value === 1 || value === 'true' || value === '1' || value === 't')
        return 'true'
      if (value === false || value === 0 || value === 'false' || value === '0' || value === 'f')
        return 'false'
      throw new ValueError(`${describe(value)} is not a boolean`)
    case 'json':
      return jsonText(typeof value === 'string' ? (JSON.parse(value) as unknown) : value)
  }
}

const describe = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** Separates the fields of a record's canonical text; JSON escapes it inside strings. */
export const fieldSeparator = '\u001f'

/** The canonical text of a record: `fields` in order, each under its rule, so hashing it is stable. */
export function canonicalRecord(
  record: Record<string, unknown>,
  fields: readonly string[],
  rules: Readonly<Record<string, ValueRule>> = {},
): string {
  return fields.map((f) => canonicalValue(record[f], rules[f])).join(fieldSeparator)
}

/** A SHA-1 of a record's canonical text (hex): the same for any key order or number format. */
export function hashCanonical(text: string): string {
  return hash('sha1', text, 'hex')
}

/** Reads a canonical value back for a report: decimals stay strings when a number would round them. */
export function readCanonical(text: string): unknown {
  if (text.startsWith('"') || text.startsWith('{') || text.startsWith('[')) return JSON.parse(text)
  if (text === 'null') return null
  if (text === 'true') return true
  if (text === 'false') return false
  const n = Number(text)
  return numberToDecimal(n) === text ? n : text
}
