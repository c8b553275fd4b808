import { SeamlineError } from '../errors/index.js'

/** A parsed five-field cron expression (minute hour day-of-month month day-of-week), in UTC. */
export interface Cron {
  readonly source: string
  matches(date: Date): boolean
  /** The first slot strictly after `time` (epoch ms), or null when none comes within 5 years. */
  next(time: number): number | null
  /** The last slot at or before `time`, or null when none came within 5 years. */
  previous(time: number): number | null
}

const fields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: 'jan feb mar apr may jun jul aug sep oct nov dec' },
  { name: 'day of week', min: 0, max: 7, names: 'sun mon tue wed thu fri sat' },
] as const

const MINUTE = 60_000
const DAY = 86_400_000
const horizonDays = 5 * 366

function invalid(source: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'schedule',
    target: `cron ${JSON.stringify(source)}`,
    reason,
  })
}

function parseField(source: string, text: string, index: number): Set<number> {
  const field = fields[index] as (typeof fields)[number]
  const names = 'names' in field ? field.names.split(' ') : []
  const value = (token: string): number => {
    const named = names.indexOf(token.toLowerCase())
    const n = named >= 0 ? named + (field.name === 'month' ? 1 : 0) : Number(token)
    if (!Number.isInteger(n) || n < field.min || n > field.max || token === '') {
      throw invalid(
        source,
        `has ${JSON.stringify(token)} in the ${field.name} field (allowed ${field.min}–${field.max})`,
      )
    }
    return n
  }
  const set = new Set<number>()
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/')
    const step = stepText === undefined ? 1 : Number(stepText)
    if (!Number.isInteger(step) || step < 1)
      throw invalid(source, `has a bad step in ${JSON.stringify(part)}`)
    let [from, to] = [field.min as number, field.max as number]
    if (range !== '*') {
      const [a = '', b] = range.split('-')
      from = value(a)
      to = b === undefined ? (stepText === undefined ? from : field.max) : value(b)
      if (to < from) throw invalid(source, `has a backwards range ${JSON.stringify(range)}`)
    }
    for (let n = from; n <= to; n += step) set.add(field.name === 'day of week' && n === 7 ? 0 : n)
  }
  return set
}

/** Parses `m h dom mon dow`; both day fields restricted means either may match, as in cron. */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/)
  if (parts.length !== 5)
    throw invalid(source, `needs 5 fields (minute hour day month weekday), got ${parts.length}`)
  const [minutes, hours, days, months, weekdays] = parts.map((part, i) =>
    parseField(source, part, i),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>]
  const anyDay = parts[2] === '*'
  const anyWeekday = parts[4] === '*'
  const dayMatches = (date: Date): boolean => {
    if (!months.has(date.getUTCMonth() + 1)) return false
    const byDay = days.has(date.getUTCDate())
    const byWeekday = weekdays.has(date.getUTCDay())
    if (anyDay || anyWeekday) return byDay && byWeekday
    return byDay || byWeekday
  }
  const matches = (date: Date): boolean =>
    dayMatches(date) && hours.has(date.getUTCHours()) && minutes.has(date.getUTCMinutes())

  // Walks whole days first, then the minutes of a matching day, so a yearly slot is found fast.
  const search = (start: number, direction: 1 | -1): number | null => {
    let day = Math.floor(start / DAY) * DAY
    for (let i = 0; i <= horizonDays; i++, day += direction * DAY) {
      if (!dayMatches(new Date(day))) continue
      const minuteList =
        direction === 1 ? [...Array(1_440).keys()] : [...Array(1_440).keys()].reverse()
      for (const m of minuteList) {
        const at = day + m * MINUTE
        if ((direction === 1 ? at < start : at > start) || !matches(new Date(at))) continue
        return at
      }
    }
    return null
  }
  return {
    source,
    matches,
    next: (time) => search(Math.floor(time / MINUTE) * MINUTE + MINUTE, 1),
    previous: (time) => search(Math.floor(time / MINUTE) * MINUTE, -1),
  }
}
