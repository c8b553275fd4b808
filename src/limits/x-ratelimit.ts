// The de facto `X-RateLimit-*` headers (GitHub, Discord, most REST APIs) and their
// `X-Rate-Limit-*` spelling (Twitter/X and others).
import { parseCount, parseDeltaSeconds, parseReset, type HeaderContext } from './header-values.js'
import type { ObservedWindow } from './observe.js'

// GitHub documents its primary REST limit, the `core` resource, per hour.
const knownWindows: ReadonlyMap<string, number> = new Map([['core', 3_600_000]])

/**
 * `X-RateLimit-Limit`, `-Remaining`, `-Used` (remaining = limit − used when `-Remaining` is
 * absent), `-Reset` (any of the forms `parseReset` tells apart), `-Reset-After` (delta-seconds,
 * fractional allowed, as Discord sends; preferred over `-Reset`, being free of clock skew) and
 * `-Resource`, which names the window (GitHub: `core`, `search`, `graphql`…); without it the
 * window is `default`. The `X-Rate-Limit-*` spelling reads the same way.
 */
export function xRateLimitWindows(headers: HeaderContext): ObservedWindow[] {
  return [...family(headers, 'x-ratelimit-', true), ...family(headers, 'x-rate-limit-', false)]
}

function family(headers: HeaderContext, prefix: string, github: boolean): ObservedWindow[] {
  const limit = parseCount(headers.get(`${prefix}limit`))
  const used = parseCount(headers.get(`${prefix}used`))
  let remaining = parseCount(headers.get(`${prefix}remaining`))
  if (remaining === undefined && limit !== undefined && used !== undefined && used <= limit)
    remaining = limit - used
  const resetMs =
    parseDeltaSeconds(headers.get(`${prefix}reset-after`)) ??
    parseReset(headers.get(`${prefix}reset`), headers)
  if (limit === undefined && remaining === undefined && resetMs === undefined) return []
  const resource = headers.get(`${prefix}resource`)?.trim()
  const name = resource && /^[A-Za-z0-9_.-]{1,64}$/.test(resource) ? resource : 'default'
  const windowMs = github ? knownWindows.get(name) : undefined
  return [
    {
      name,
      ...(limit === undefined ? {} : { limit }),
      ...(remaining === undefined ? {} : { remaining }),
      ...(resetMs === undefined ? {} : { resetMs }),
      ...(windowMs === undefined ? {} : { windowMs }),
    },
  ]
}

/**
 * `X-RateLimit-Retry-After`, which ky reads when `Retry-After` is missing: a wait written as
 * delta-seconds, an epoch timestamp or a date (told apart as `parseReset` does).
 */
export function xRateLimitRetryAfter(headers: HeaderContext): number | undefined {
  return parseReset(headers.get('x-ratelimit-retry-after'), headers)
}
