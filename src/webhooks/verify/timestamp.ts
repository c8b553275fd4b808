import type { Clock } from '../../time/index.js'
import { invalidArgument, rejection } from './failure.js'
import type { WebhookSchemeName } from '../webhook-scheme.js'

/** Standard Webhooks and Stripe both allow 5 minutes. */
export const defaultToleranceMs = 300_000

// Canonical decimal seconds only (no sign, no leading zeros), since the digits themselves are
// signed; at most 12 of them keeps the milliseconds exact (that is past the year 30000).
const unixSecondsPattern = /^(?:0|[1-9][0-9]{0,11})$/

/** Epoch milliseconds for a header's unix seconds, or undefined when it is not one. */
export function parseUnixSeconds(text: string): number | undefined {
  return unixSecondsPattern.test(text) ? Number(text) * 1000 : undefined
}

// Canonical decimal milliseconds; 15 digits reach past the year 30000.
const unixMillisecondsPattern = /^(?:0|[1-9][0-9]{0,14})$/

/** Epoch milliseconds for a header's unix milliseconds, or undefined when it is not one. */
export function parseUnixMilliseconds(text: string): number | undefined {
  return unixMillisecondsPattern.test(text) ? Number(text) : undefined
}

// RFC 3339 date-time, upper-case `T` and `Z`, fraction up to nanoseconds (Twitch sends nine digits).
const rfc3339Pattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/**
 * Epoch milliseconds for an RFC 3339 date-time (digits past the millisecond are dropped), or
 * undefined when it is not one or names a day or time that does not exist.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = rfc3339Pattern.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'))
  const local = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    ms,
  )
  // Date.UTC rolls 31 February over into March; a real date reads back as written.
  const check = new Date(local)
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCHours() !== Number(hour) ||
    check.getUTCMinutes() !== Number(minute) ||
    check.getUTCSeconds() !== Number(second)
  ) {
    return undefined
  }
  if (zone === 'Z') return local
  const sign = zone.startsWith('-') ? -1 : 1
  const offsetHours = Number(zone.slice(1, 3))
  const offsetMinutes = Number(zone.slice(4, 6))
  if (offsetHours > 23 || offsetMinutes > 59) return undefined
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000
}

/** The clock's time to sign with, in milliseconds. */
export function signingMilliseconds(scheme: WebhookSchemeName, clock: Clock): number {
  const now = readClock('sign', scheme, clock)
  if (now < 0) throw invalidArgument('sign', scheme, 'clock', `reads before 1970 (got ${now})`)
  return Math.floor(now)
}

/** The unix seconds to sign with, read from the clock. */
export function signingSeconds(scheme: WebhookSchemeName, clock: Clock): number {
  const now = readClock('sign', scheme, clock)
  if (now < 0) throw invalidArgument('sign', scheme, 'clock', `reads before 1970 (got ${now})`)
  return Math.floor(now / 1000)
}

/** Throws unless `signedAt` lies within `toleranceMs` of the clock's time, before or after. */
export function assertFresh(
  scheme: WebhookSchemeName,
  signedAt: number,
  clock: Clock,
  toleranceMs: number,
): void {
  const skew = signedAt - readClock('verify', scheme, clock)
  if (Math.abs(skew) <= toleranceMs) return
  const when = skew < 0 ? `${-skew} ms before` : `${skew} ms after`
  throw rejection(
    scheme,
    'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    `was signed ${when} the clock's time, outside the tolerance of ${toleranceMs} ms`,
  )
}

function readClock(operation: 'sign' | 'verify', scheme: WebhookSchemeName, clock: Clock): number {
  const now = clock.now()
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw invalidArgument(
      operation,
      scheme,
      'clock',
      `returned a time that is not finite (${String(now)})`,
    )
  }
  return now
}
