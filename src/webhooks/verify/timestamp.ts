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
