// How rate-limit headers write counts, durations and resets, read strictly: a value in no
// documented form is ignored, never guessed at.

/** A response's headers, read once: lower-case names, repeated fields joined with ", ". */
export interface HeaderContext {
  get(name: string): string | undefined
  /** Every header name present, lower case. */
  names(): Iterable<string>
  /**
   * What absolute resets (epoch numbers, dates) are measured from: the response's own `Date`
   * when it has a sane one, since it comes from the same clock as the reset; else `now`.
   */
  serverNow: number
}

const DAY_MS = 86_400_000

/** Resets (and `X-RateLimit-Retry-After` waits) further off than this are ignored. */
export const MAX_RESET_MS = 3 * DAY_MS
/** Windows longer than this (a month) are ignored. */
export const MAX_WINDOW_MS = 31 * DAY_MS
/** An epoch reset up to this far in the past is a window that has just reset: 0 ms. */
const PAST_RESET_MS = DAY_MS

/**
 * A field repeated with one value (`"100, 100"`) is read as that value; any other text is
 * returned as it is (a date keeps its comma) for the caller's stricter parse to judge.
 */
export function oneValue(text: string | undefined): string | undefined {
  if (text === undefined || !text.includes(',')) return text?.trim()
  const parts = text.split(',').map((p) => p.trim())
  return parts.every((p) => p === parts[0]) ? parts[0] : text.trim()
}

/** A count of units: a non-negative integer that is safe in JavaScript; nothing else. */
export function parseCount(text: string | undefined): number | undefined {
  const value = oneValue(text)
  if (!value || !/^\d{1,16}$/.test(value)) return undefined
  const count = Number(value)
  return Number.isSafeInteger(count) ? count : undefined
}

/**
 * A non-negative decimal number of `unitMs` units (at most 15 integer and 20 fraction digits)
 * in whole milliseconds, rounded up, computed from the digits so `1.001` seconds is exactly
 * 1,001. Fraction digits past the ninth (below a nanosecond) are dropped.
 */
export function parseDecimalMs(text: string | undefined, unitMs: number): number | undefined {
  const value = oneValue(text)
  const match = value === undefined ? null : /^(\d{1,15})(?:\.(\d{1,20}))?$/.exec(value)
  if (!match) return undefined
  const [, integer = '0', digits = ''] = match
  const fraction = digits.slice(0, 9)
  const ms =
    Number(integer) * unitMs +
    (fraction ? Math.ceil((Number(fraction) * unitMs) / 10 ** fraction.length) : 0)
  return Number.isSafeInteger(ms) ? ms : undefined
}

/** Delta-seconds, whole or (where a dialect writes them so) fractional, as ms within the cap. */
export function parseDeltaSeconds(text: string | undefined): number | undefined {
  return capReset(parseDecimalMs(text, 1_000))
}

/** A reset or wait of this many ms, or undefined when it is beyond `MAX_RESET_MS`. */
export function capReset(ms: number | undefined): number | undefined {
  return ms !== undefined && ms >= 0 && ms <= MAX_RESET_MS ? ms : undefined
}

/** A window of this many ms, or undefined when it is not positive or beyond `MAX_WINDOW_MS`. */
export function capWindow(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isSafeInteger(ms) && ms > 0 && ms <= MAX_WINDOW_MS
    ? ms
    : undefined
}

// IMF-fixdate (`Thu, 01 Jan 2026 12:00:30 GMT`), the form HTTP senders must use.
const imfFixdate =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/
// RFC 3339 with an explicit offset (`2026-01-01T12:00:30Z`, `…+01:00`, fractional seconds).
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/

/** An HTTP date (IMF-fixdate) or an RFC 3339 timestamp as epoch ms; undefined for anything else. */
export function parseTimestamp(text: string | undefined): number | undefined {
  const value = text?.trim()
  if (!value || !(imfFixdate.test(value) || rfc3339.test(value))) return undefined
  const at = Date.parse(value)
  return Number.isFinite(at) ? at : undefined
}

/**
 * The `X-RateLimit-Reset` family, whose value may be any of five forms, told apart like this:
 * - an HTTP-date or RFC 3339 timestamp: that moment;
 * - a number within a day before or `MAX_RESET_MS` after the server's now, read as epoch
 *   seconds: epoch seconds (GitHub, Discord, most APIs that send a timestamp);
 * - the same, read as epoch milliseconds: epoch milliseconds;
 * - any other number: delta-seconds. A delta is never read as milliseconds: the two cannot
 *   be told apart, seconds is what the drafts and nearly every API send, and a dialect that
 *   uses milliseconds says so in its header name.
 * Each gives ms from now, 0 for a moment just past, undefined beyond the cap or in no form.
 */
export function parseReset(text: string | undefined, context: HeaderContext): number | undefined {
  const value = oneValue(text)
  if (!value) return undefined
  const at = parseTimestamp(value)
  if (at !== undefined) return fromMoment(at, context.serverNow)
  // The number read as seconds (in ms, exact to the digit), then read as milliseconds.
  const asSeconds = parseDecimalMs(value, 1_000)
  const asMs = parseDecimalMs(value, 1)
  if (asSeconds !== undefined && isNear(asSeconds, context.serverNow))
    return fromMoment(asSeconds, context.serverNow)
  if (asMs !== undefined && isNear(asMs, context.serverNow))
    return fromMoment(asMs, context.serverNow)
  return capReset(asSeconds)
}

function isNear(moment: number, now: number): boolean {
  return moment >= now - PAST_RESET_MS && moment <= now + MAX_RESET_MS
}

function fromMoment(moment: number, now: number): number | undefined {
  return capReset(Math.max(0, Math.ceil(moment - now)))
}
