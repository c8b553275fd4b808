/** Header names and values as responses carry them; names are matched case-insensitively. */
export type ResponseHeaders =
  Headers | Readonly<Record<string, string | readonly string[] | undefined>>

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const lower = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== lower || value === undefined) continue
    return typeof value === 'string' ? value : value.join(', ')
  }
  return undefined
}

// RFC 9110 §10.2.3: delay-seconds is a non-negative integer; anything else must be an HTTP-date.
const delaySeconds = /^\d+$/

/**
 * `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date. A value that is
 * neither, or a date already past, gives undefined (past) or 0, never a guess.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (delaySeconds.test(text)) {
    const ms = Number(text) * 1_000
    return Number.isSafeInteger(ms) ? ms : undefined
  }
  // Only the date forms HTTP allows: a weekday, a day and a time, ending in GMT.
  if (!/^[A-Za-z]{3},? .*\d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** `retry-after-ms` (OpenAI and other Stainless-built APIs): whole or fractional milliseconds. */
export function parseRetryAfterMs(value: string | undefined): number | undefined {
  const text = value?.trim()
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return undefined
  // A value past 2^53 (or one so long it reads as Infinity) is no wait anyone meant.
  const ms = Math.ceil(Number(text))
  return Number.isSafeInteger(ms) ? ms : undefined
}
