// `x-ratelimit-{limit,remaining,reset}-<window>`: one trio of headers per window, the window
// named in the header. OpenAI sends `requests` and `tokens`; Cerebras adds a period
// (`requests-day`, `tokens-minute`); Kong names only the period (`minute`, `hour`…).
import { parseGoDuration } from './duration.js'
import {
  capReset,
  oneValue,
  parseCount,
  parseDeltaSeconds,
  type HeaderContext,
} from './header-values.js'
import type { ObservedWindow } from './observe.js'

const trio = /^x-ratelimit-(limit|remaining|reset)-(.+)$/
const windowName =
  /^(?:(requests|tokens)(?:-(second|minute|hour|day))?|(second|minute|hour|day|month|year))$/

const periodMs: ReadonlyMap<string, number> = new Map([
  ['second', 1_000],
  ['minute', 60_000],
  ['hour', 3_600_000],
  ['day', 86_400_000],
])

/**
 * Each window's limit, remaining and reset. A reset is a Go duration (`6m0s`, `12ms`: OpenAI,
 * the time until the window is back to its full limit) or decimal seconds (`11.38`: Cerebras);
 * a bare number is seconds, never milliseconds. `tokens` windows count `tokens`. A month or a
 * year has no fixed length, so those windows carry no `windowMs`.
 */
export function perWindowHeaders(headers: HeaderContext): ObservedWindow[] {
  const names = new Set<string>()
  for (const header of headers.names()) {
    const suffix = trio.exec(header)?.[2]
    if (suffix !== undefined && windowName.test(suffix)) names.add(suffix)
  }
  const windows: ObservedWindow[] = []
  for (const name of names) {
    const [, kind, period, bare] = windowName.exec(name) ?? []
    const limit = parseCount(headers.get(`x-ratelimit-limit-${name}`))
    const remaining = parseCount(headers.get(`x-ratelimit-remaining-${name}`))
    const reset = oneValue(headers.get(`x-ratelimit-reset-${name}`))
    const resetMs = capReset(parseGoDuration(reset)) ?? parseDeltaSeconds(reset)
    if (limit === undefined && remaining === undefined && resetMs === undefined) continue
    const windowMs = periodMs.get(period ?? bare ?? '')
    windows.push({
      name,
      ...(limit === undefined ? {} : { limit }),
      ...(remaining === undefined ? {} : { remaining }),
      ...(resetMs === undefined ? {} : { resetMs }),
      ...(windowMs === undefined ? {} : { windowMs }),
      ...(kind === 'tokens' ? { unit: 'tokens' } : {}),
    })
  }
  return windows
}
