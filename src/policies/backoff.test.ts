import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoff } from './index.js'

const fixed = (value: number) => () => value

describe('backoff', () => {
  it('doubles from the base up to the cap, with each jitter strategy in its range', () => {
    const none = backoff({ strategy: 'none', baseMs: 100, capMs: 1_000 })
    expect([1, 2, 3, 4, 5, 6].map((n) => none.delay(n, 0))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ])
    const top = backoff({ strategy: 'full', baseMs: 100, capMs: 1_000, random: fixed(0.999999) })
    expect(top.delay(3, 0)).toBeCloseTo(400, 2)
    expect(backoff({ strategy: 'full', baseMs: 100, random: fixed(0) }).delay(3, 0)).toBe(0)
    const equal = backoff({ strategy: 'equal', baseMs: 100, random: fixed(0) })
    expect(equal.delay(3, 0)).toBe(200)
    const decorrelated = backoff({
      strategy: 'decorrelated',
      baseMs: 100,
      capMs: 10_000,
      random: fixed(0.5),
    })
    expect(decorrelated.delay(2, 1_000)).toBe(100 + 0.5 * (3_000 - 100))
  })

  it('stays within [0, cap] for any retry count, previous wait and random draw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('full', 'equal', 'decorrelated', 'none' as const),
        fc.integer({ min: 1, max: 5_000 }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (strategy, retry, previous, draw) => {
          const wait = backoff({ strategy, baseMs: 50, capMs: 30_000, random: () => draw }).delay(
            retry,
            previous,
          )
          return Number.isFinite(wait) && wait >= 0 && wait <= 30_000
        },
      ),
    )
  })

  it('refuses options it cannot use with a typed error naming them', () => {
    expect(() => backoff({ baseMs: -1 })).toThrow(/^backoff baseMs must be a finite number >= 0/)
    expect(() => backoff({ capMs: Number.NaN })).toThrow(/^backoff capMs/)
    expect(() => backoff({ strategy: 'wild' as 'full' })).toThrow(
      /^backoff strategy must be full, equal/,
    )
  })
})
