import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalRecord, canonicalValue, hashCanonical, normalizeInstant } from './canonical.js'
import { normalizeDecimal, numberToDecimal, shiftDecimal } from './decimal.js'

describe('decimals', () => {
  it.each([
    ['10.50', '10.5'],
    ['10.5', '10.5'],
    ['010.500', '10.5'],
    ['-0.0', '0'],
    ['+3', '3'],
    ['1.05e1', '10.5'],
    ['1E-7', '0.0000001'],
    ['12345678901234567890.123456789', '12345678901234567890.123456789'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['0', '0'],
  ])('normalizes %s to %s', (text, canonical) => {
    expect(normalizeDecimal(text)).toBe(canonical)
  })

  it.each(['', '.', 'abc', '1.2.3', '1e', '--1', '0x10', 'NaN'])('refuses %j', (text) => {
    expect(normalizeDecimal(text)).toBeUndefined()
  })

  it.each([
    [10.5, '10.5'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [-0, '0'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('writes the number %d as %s', (n, text) => {
    expect(numberToDecimal(n)).toBe(text)
  })

  it.each([
    ['1050', -2, '10.5'],
    ['5', -2, '0.05'],
    ['-1', -3, '-0.001'],
    ['10.5', 2, '1050'],
    ['0.001', 3, '1'],
    ['0', -2, '0'],
  ])('shifts %s by %d to %s', (text, places, shifted) => {
    expect(shiftDecimal(text, places)).toBe(shifted)
  })

  it('shifts cents to units and back exactly, for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (cents) => {
        const units = shiftDecimal(cents.toString(), -2)
        expect(shiftDecimal(units, 2)).toBe(cents.toString())
        expect(normalizeDecimal(units)).toBe(units)
      }),
    )
  })

  it('agrees with the number it came from, for any finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = numberToDecimal(n)!
        expect(Number(text)).toBe(n === 0 ? 0 : n)
        expect(normalizeDecimal(text)).toBe(text)
      }),
    )
  })
})

describe('canonical values', () => {
  it('makes "10.50", 10.5 and "10.5" one value, and a string rule keeps them apart', () => {
    expect(canonicalValue('10.50')).toBe(canonicalValue(10.5))
    expect(canonicalValue('10.5')).toBe('10.5')
    expect(canonicalValue('10.50', { type: 'string' })).not.toBe(canonicalValue(10.5))
  })

  it('reads cents as units through a shift', () => {
    expect(canonicalValue(1050, { shift: -2 })).toBe(canonicalValue('10.50'))
    expect(canonicalValue('1999', { type: 'decimal', shift: -2 })).toBe('19.99')
  })

  it('makes null, undefined and a missing field the same', () => {
    expect(canonicalRecord({ a: null }, ['a'])).toBe(canonicalRecord({}, ['a']))
    expect(canonicalValue(undefined)).toBe('null')
  })

  it('reads instants in any ISO form, epoch seconds and Dates as one', () => {
    const text = canonicalValue('2026-01-02T03:04:05Z')
    expect(canonicalValue('2026-01-02T04:04:05+01:00')).toBe(text)
    expect(canonicalValue('2026-01-02 03:04:05.000')).toBe(text)
    expect(canonicalValue(new Date('2026-01-02T03:04:05Z'))).toBe(text)
    expect(canonicalValue(1767323045, { type: 'date', epoch: 's' })).toBe(text)
    expect(normalizeInstant('2026-13-45')).toBeUndefined()
  })

  it('compares objects whatever their key order', () => {
    expect(canonicalValue({ b: 1, a: { d: '2.0', c: null } })).toBe(
      canonicalValue({ a: { c: null, d: 2 }, b: '1' }),
    )
  })

  it('keeps strings, decimals and booleans apart', () => {
    const values = ['true', 'x', 'null', '"1"', '1']
    expect(new Set(values.map((v) => canonicalValue(v, { type: 'string' }))).size).toBe(5)
    expect(canonicalValue(true)).not.toBe(canonicalValue('true'))
    expect(canonicalValue(null)).not.toBe(canonicalValue('null'))
  })

  it('refuses what a rule cannot read', () => {
    expect(() => canonicalValue('ten', { type: 'decimal' })).toThrow(/not a decimal/)
    expect(() => canonicalValue('soon', { type: 'date' })).toThrow(/not a date/)
    expect(() => canonicalValue(Number.NaN)).toThrow(/not a finite number/)
  })

  it('hashes a record the same for any key order and number format (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    )
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), value), (record) => {
        const fields = Object.keys(record)
        const reversed = Object.fromEntries(Object.entries(record).reverse())
        // The same numbers written as text, the way a CSV or a numeric column gives them.
        const asText = Object.fromEntries(
          Object.entries(record).map(([k, v]) => [
            k,
            typeof v === 'number' ? numberToDecimal(v) : v,
          ]),
        )
        const hash = hashCanonical(canonicalRecord(record, fields))
        expect(hashCanonical(canonicalRecord(reversed, fields))).toBe(hash)
        expect(hashCanonical(canonicalRecord(asText, fields))).toBe(hash)
      }),
    )
  })
})
