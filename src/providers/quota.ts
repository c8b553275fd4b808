import type { QuotaSpec } from '../limits/index.js'

export const SECOND = 1_000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/**
 * The share of a documented rate a preset allows itself. A client counts a call when it sends
 * it, the provider when the request arrives, so calls that left evenly spaced can arrive
 * bunched; 5 % headroom absorbs that.
 */
export const headroom = 0.95

/**
 * A documented limit of `limit` units per `windowMs`, kept to 95 % by stretching the window
 * rather than cutting the count: no stretch of the documented length ever holds more than
 * `limit`, and small limits (Resend's 2 a second) keep their size instead of rounding down.
 * `reportedAs` names the window the provider's rate-limit headers describe.
 */
export function perWindow(
  name: string,
  limit: number,
  windowMs: number,
  reportedAs?: string,
): QuotaSpec {
  return {
    name,
    limit,
    windowMs: Math.ceil(windowMs / headroom),
    ...(reportedAs === undefined ? {} : { reportedAs }),
  }
}

/**
 * A documented number of calls in flight, as it is: a unit is held from before the request
 * leaves until after its response arrives, longer than the provider holds it, so the client's
 * count is never below the provider's.
 */
export function inFlight(name: string, limit: number): QuotaSpec {
  return { name, limit }
}
