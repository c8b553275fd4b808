import {
  headerValue,
  parseRetryAfter,
  parseRetryAfterMs,
  type ResponseHeaders,
} from './retry-after.js'

export interface RateLimitObservation {
  /** The wait the server asked for before the next request, in ms. */
  retryAfterMs?: number
}

export interface ParseOptions {
  /** When the response arrived (epoch ms); default its `Date` header, else now. */
  now?: number
}

/** What a response says about the caller's rate limits. Never throws on header input. */
export function parseRateLimitHeaders(
  headers: ResponseHeaders,
  options: ParseOptions = {},
): RateLimitObservation {
  const date = Date.parse(headerValue(headers, 'date') ?? '')
  const now = options.now ?? (Number.isNaN(date) ? Date.now() : date)
  // The millisecond form is the more precise where both are sent.
  const retryAfterMs =
    parseRetryAfterMs(headerValue(headers, 'retry-after-ms')) ??
    parseRetryAfter(headerValue(headers, 'retry-after'), now)
  return retryAfterMs === undefined ? {} : { retryAfterMs }
}
