import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseRateLimitHeaders, parseRetryAfter, parseRetryAfterMs } from './index.js'

const now = Date.UTC(2026, 0, 1, 12)

describe('Retry-After', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30_000],
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    ['99999999999999999999', undefined],
  ])('%j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('reads retry-after-ms before retry-after, and the Date header as the time when none is given', () => {
    expect(
      parseRateLimitHeaders({ 'retry-after-ms': '1500', 'retry-after': '2' }, { now }),
    ).toEqual({ retryAfterMs: 1_500 })
    expect(parseRetryAfterMs('20.2')).toBe(21)
    expect(parseRetryAfterMs('-1')).toBeUndefined()
    const headers = new Headers({
      date: 'Thu, 01 Jan 2026 12:00:00 GMT',
      'Retry-After': 'Thu, 01 Jan 2026 12:01:00 GMT',
    })
    expect(parseRateLimitHeaders(headers)).toEqual({ retryAfterMs: 60_000 })
    expect(parseRateLimitHeaders({ 'Retry-After': ['7'] }, { now })).toEqual({
      retryAfterMs: 7_000,
    })
    expect(parseRateLimitHeaders({}, { now })).toEqual({})
  })

  it('never throws and never yields a negative or non-finite wait, whatever the headers say', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('retry-after', 'retry-after-ms', 'date', 'x'), fc.string()),
        (headers) => {
          const { retryAfterMs } = parseRateLimitHeaders(headers, { now })
          return retryAfterMs === undefined || (Number.isFinite(retryAfterMs) && retryAfterMs >= 0)
        },
      ),
    )
  })

  it('round-trips the forms it writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (seconds) => {
        const asDate = new Date(now + seconds * 1_000).toUTCString()
        return (
          parseRetryAfter(String(seconds), now) === seconds * 1_000 &&
          parseRetryAfter(asDate, now) === seconds * 1_000
        )
      }),
    )
  })
})
