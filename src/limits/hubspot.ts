// HubSpot: a rolling interval (10 s), a daily limit and, on older apps, a per-second limit.
import { capWindow, parseCount, type HeaderContext } from './header-values.js'
import type { ObservedWindow } from './observe.js'

/**
 * - `X-HubSpot-RateLimit-Max` / `-Remaining` / `-Interval-Milliseconds` → `interval`, whose
 *   length is the interval header (typically 10000);
 * - `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining` → `daily` (one day; not sent to OAuth
 *   apps, which have no daily limit);
 * - `X-HubSpot-RateLimit-Secondly` / `-Secondly-Remaining` → `secondly` (one second).
 * HubSpot sends no reset: its daily limit resets at midnight in the account's time zone.
 */
export function hubspotWindows(headers: HeaderContext): ObservedWindow[] {
  const prefix = 'x-hubspot-ratelimit-'
  const intervalMs = capWindow(parseCount(headers.get(`${prefix}interval-milliseconds`)))
  return [
    window(headers, 'interval', `${prefix}max`, `${prefix}remaining`, intervalMs),
    window(headers, 'daily', `${prefix}daily`, `${prefix}daily-remaining`, 86_400_000),
    window(headers, 'secondly', `${prefix}secondly`, `${prefix}secondly-remaining`, 1_000),
  ].filter((w) => w !== undefined)
}

function window(
  headers: HeaderContext,
  name: string,
  limitHeader: string,
  remainingHeader: string,
  windowMs: number | undefined,
): ObservedWindow | undefined {
  const limit = parseCount(headers.get(limitHeader))
  const remaining = parseCount(headers.get(remainingHeader))
  if (limit === undefined && remaining === undefined) return undefined
  return {
    name,
    ...(limit === undefined ? {} : { limit }),
    ...(remaining === undefined ? {} : { remaining }),
    ...(windowMs === undefined ? {} : { windowMs }),
  }
}
