import { parseCount, parseTimestamp, type HeaderContext } from './header-values.js'
import { hubspotWindows } from './hubspot.js'
import { draft06Windows, draft07Windows, ietfWindows } from './ietf.js'
import { perWindowHeaders } from './openai.js'
import { parseRetryAfter, parseRetryAfterMs, type ResponseHeaders } from './retry-after.js'
import { shopifyCostWindow, shopifyWindows } from './shopify.js'
import { xRateLimitRetryAfter, xRateLimitWindows } from './x-ratelimit.js'
import { xeroWindows } from './xero.js'

export interface RateLimitObservation {
  /**
   * The wait the server asked for before the next request, in ms: `retry-after-ms`, else
   * `Retry-After`, else `X-RateLimit-Retry-After`. It takes precedence over every window.
   */
  retryAfterMs?: number
  /** Each window the response reported; omitted when none. */
  windows?: ObservedWindow[]
}

/** One rate-limit window as a response reports it. */
export interface ObservedWindow {
  /**
   * The provider's name for the window: an IETF policy name; `default`; GitHub's resource
   * (`core`, `search`…); `requests`/`tokens` (OpenAI); `calls`/`cost` (Shopify);
   * `day`/`minute`/`app-minute` (Xero); `interval`/`daily`/`secondly` (HubSpot).
   * A quota whose `reportedAs` (or name) is this name is tuned by it.
   */
  name: string
  /** Units the window allows. */
  limit?: number
  /** Units left now. */
  remaining?: number
  /** Milliseconds from `now` until the window's units are restored (its reset). */
  resetMs?: number
  /** The window's length, when the response (or the dialect) says it. */
  windowMs?: number
  /** What a unit is, when not requests: `tokens`, `points`, `content-bytes`, `concurrent-requests`. */
  unit?: string
  /**
   * What this response's request cost in this window, when the response says so (Shopify
   * GraphQL): `requested` units were reserved, `actual` were charged.
   */
  cost?: { requested?: number; actual?: number }
}

export interface ParseOptions {
  /** When the response arrived (epoch ms); default its `Date` header, else now. */
  now?: number
}

// Where two dialects report a window of the same name, the earlier one here wins: the current
// IETF draft, then its older drafts, then the de facto headers, then providers' own.
const dialects: readonly ((headers: HeaderContext) => ObservedWindow[])[] = [
  ietfWindows,
  draft07Windows,
  draft06Windows,
  xRateLimitWindows,
  perWindowHeaders,
  shopifyWindows,
  hubspotWindows,
  xeroWindows,
]

// A `Date` further than this from `now` is not believed as the server's clock.
const MAX_CLOCK_SKEW_MS = 86_400_000

/**
 * What a response's headers say about the caller's rate limits, in every dialect Seamline
 * knows (see docs/rate-limits.md). Names are matched case-insensitively; repeated headers may
 * come joined with ", " or as arrays. Values in no documented form, and absurd ones, are
 * ignored. Never throws on any input.
 */
export function parseRateLimitHeaders(
  headers: ResponseHeaders,
  options: ParseOptions = {},
): RateLimitObservation {
  let fields: Map<string, string>
  try {
    // Most answers say nothing of limits: they are passed over without reading a value.
    if (!namesAnyLimit(headers)) return {}
    fields = readHeaders(headers)
  } catch {
    return {}
  }
  const date = parseTimestamp(fields.get('date'))
  const now =
    options.now !== undefined && Number.isFinite(options.now) ? options.now : (date ?? Date.now())
  const serverNow = date !== undefined && Math.abs(date - now) <= MAX_CLOCK_SKEW_MS ? date : now
  const context: HeaderContext = {
    get: (name) => fields.get(name),
    names: () => fields.keys(),
    serverNow,
  }
  // The millisecond form is the more precise where both are sent.
  const retryAfterMs =
    parseRetryAfterMs(fields.get('retry-after-ms')) ??
    parseRetryAfter(fields.get('retry-after'), now) ??
    xRateLimitRetryAfter(context)
  // A response served from a cache (a positive Age) reports limits that are no longer current.
  const cached = (parseCount(fields.get('age')) ?? 0) > 0
  const windows = cached ? [] : merge(dialects.flatMap((dialect) => dialect(context)))
  return {
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(windows.length === 0 ? {} : { windows }),
  }
}

/**
 * The windows a Shopify GraphQL Admin response body reports in `extensions.cost` (the window
 * `cost`, in `points`), with what the query cost. An empty list for any other body. Never throws.
 */
export function parseRateLimitBody(body: unknown): ObservedWindow[] {
  try {
    return shopifyCostWindow(body)
  } catch {
    return []
  }
}

/** One window per name: the first reported wins (see `dialects`). */
function merge(windows: readonly ObservedWindow[]): ObservedWindow[] {
  const byName = new Map<string, ObservedWindow>()
  for (const window of windows) if (!byName.has(window.name)) byName.set(window.name, window)
  return [...byName.values()]
}

// Every header a dialect reads names a limit (`ratelimit`, `x-daylimit-…`, `…-call-limit`) or
// a retry (`retry-after`, `retry-after-ms`).
const limitName = /limit|retry-after/i

function namesAnyLimit(headers: ResponseHeaders): boolean {
  if (headers instanceof Headers) {
    for (const name of headers.keys()) if (limitName.test(name)) return true
    return false
  }
  for (const name in headers) if (limitName.test(name)) return true
  return false
}

function readHeaders(headers: ResponseHeaders): Map<string, string> {
  const fields = new Map<string, string>()
  if (headers instanceof Headers) {
    headers.forEach((value, name) => fields.set(name, value))
    return fields
  }
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase()
    if (fields.has(name)) continue
    if (typeof value === 'string') fields.set(name, value)
    else if (Array.isArray(value))
      fields.set(name, value.filter((v): v is string => typeof v === 'string').join(', '))
  }
  return fields
}
