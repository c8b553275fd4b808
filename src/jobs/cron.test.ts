import { describe, expect, it } from 'vitest'
import { parseCron } from './cron.js'

const at = (iso: string): number => Date.parse(iso)
const iso = (time: number | null): string | null =>
  time === null ? null : new Date(time).toISOString()

describe('parseCron', () => {
  it.each([
    [
      '*/15 * * * *',
      '2026-03-04T10:07:30Z',
      '2026-03-04T10:15:00.000Z',
      '2026-03-04T10:00:00.000Z',
    ],
    ['0 3 * * *', '2026-03-04T10:00:00Z', '2026-03-05T03:00:00.000Z', '2026-03-04T03:00:00.000Z'],
    ['0 3 * * *', '2026-03-04T03:00:00Z', '2026-03-05T03:00:00.000Z', '2026-03-04T03:00:00.000Z'],
    [
      '30 9 * * mon-fri',
      '2026-03-06T10:00:00Z',
      '2026-03-09T09:30:00.000Z',
      '2026-03-06T09:30:00.000Z',
    ],
    ['0 0 1 jan *', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ['0 12 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T12:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    // Both day fields restricted: either matches (the 13th, or any Friday).
    ['0 0 13 * 5', '2026-03-01T00:00:00Z', '2026-03-06T00:00:00.000Z', '2026-02-27T00:00:00.000Z'],
    [
      '5,10-12 * * * 7',
      '2026-03-01T00:11:00Z',
      '2026-03-01T00:12:00.000Z',
      '2026-03-01T00:11:00.000Z',
    ],
  ])('%s after and before %s', (source, now, next, previous) => {
    const cron = parseCron(source)
    expect(iso(cron.next(at(now)))).toBe(next)
    expect(iso(cron.previous(at(now)))).toBe(previous)
  })

  it.each([
    ['* * * *', /5 fields/],
    ['60 * * * *', /minute/],
    ['* 24 * * *', /hour/],
    ['* * 0 * *', /day of month/],
    ['* * * 13 *', /month/],
    ['* * * * 8', /day of week/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /backwards/],
    ['x * * * *', /minute/],
  ])('refuses %s, naming the field', (source, reason) => {
    expect(() => parseCron(source)).toThrow(reason)
  })

  it('finds no slot for a date that never comes', () => {
    expect(parseCron('0 0 31 2 *').next(at('2026-01-01T00:00:00Z'))).toBeNull()
  })
})
