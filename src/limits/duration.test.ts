import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { goDuration } from '../simulator/duration.js'
import { parseGoDuration } from './duration.js'

describe('Go durations', () => {
  it.each([
    ['12ms', 12],
    ['1s', 1_000],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['.5s', 500],
    ['1.s', 1_000],
    ['0.1s', 100],
    ['1.001s', 1_001],
    ['20.2ms', 21],
    ['500us', 1],
    ['500µs', 1],
    ['500μs', 1],
    ['999999ns', 1],
    ['1m30s', 90_000],
    ['0', 0],
    ['0s', 0],
    [' 2s ', 2_000],
  ])('%j → %j ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms)
  })

  it.each([
    '',
    '1',
    '12',
    '-1s',
    '+1s',
    '1 s',
    '1x',
    's',
    '.s',
    '1.2.3s',
    '1e3ms',
    'P1D',
    '99999999999999999h',
    undefined,
  ])('ignores %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined()
  })

  it('reads back what Go (and the simulator) prints, to the millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * 86_400_000 }), (ms) => {
        expect(parseGoDuration(goDuration(ms))).toBe(ms)
      }),
    )
  })
})
