// Xero: the units left in each of its windows, and on a 429 which window ran out.
import { parseCount, type HeaderContext } from './header-values.js'
import type { ObservedWindow } from './observe.js'

const windows = [
  { header: 'x-daylimit-remaining', name: 'day', windowMs: 86_400_000 },
  { header: 'x-minlimit-remaining', name: 'minute', windowMs: 60_000 },
  { header: 'x-appminlimit-remaining', name: 'app-minute', windowMs: 60_000 },
] as const

/**
 * `X-DayLimit-Remaining` (per tenant, per day) → `day`, `X-MinLimit-Remaining` (per tenant,
 * per minute) → `minute`, `X-AppMinLimit-Remaining` (the app across tenants, per minute) →
 * `app-minute`. Only the remaining units are sent, never the limit or the reset.
 *
 * On a 429, `X-Rate-Limit-Problem` names the window that ran out, which is then reported with
 * 0 remaining. Its values are not documented by Xero; `minute`, `day`, `DayLimit`,
 * `daily`, `Minute limit`, `AppMinLimit` and `appminute` are seen, so it is read loosely: `app` in it
 * means the app minute, else `day` or `daily` the day, else `min` the minute. Anything else (the
 * concurrency limit) names no window.
 */
export function xeroWindows(headers: HeaderContext): ObservedWindow[] {
  const problem = headers.get('x-rate-limit-problem')?.toLowerCase() ?? ''
  const exhausted = problem.includes('app')
    ? 'app-minute'
    : problem.includes('day') || problem.includes('daily')
      ? 'day'
      : problem.includes('min')
        ? 'minute'
        : undefined
  const observed: ObservedWindow[] = []
  for (const { header, name, windowMs } of windows) {
    const remaining = name === exhausted ? 0 : parseCount(headers.get(header))
    if (remaining !== undefined) observed.push({ name, remaining, windowMs })
  }
  return observed
}
