// A Go `time.Duration` as `String()` prints it and `time.ParseDuration` reads it: one or more
// decimal numbers, each with a unit (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`), e.g. `12ms`,
// `1s`, `6m0s`, `1h2m3.5s`, `.5s`; or a bare `0`. OpenAI writes its reset headers this way.
const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y
const whole = /^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/

const nanosPer: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3_600e9,
}

/**
 * Milliseconds in a Go-style duration, rounded up to the next whole millisecond; undefined for
 * anything else (a sign, a missing unit, spaces inside, more than about 100 days). Never throws.
 */
export function parseGoDuration(text: string | undefined): number | undefined {
  const value = text?.trim()
  if (!value) return undefined
  if (value === '0') return 0
  if (value.length > 64 || !whole.test(value)) return undefined
  let nanos = 0
  part.lastIndex = 0
  for (let match = part.exec(value); match; match = part.exec(value)) {
    const [, amount = '', unit = ''] = match
    const [integer = '', fraction = ''] = amount.split('.')
    const scale = nanosPer[unit] ?? Number.NaN
    // Whole units exactly, then the fraction's digits scaled: no binary rounding on `0.1s`.
    nanos += Number(integer || '0') * scale
    if (fraction)
      nanos += (Number(fraction.slice(0, 15)) * scale) / 10 ** Math.min(15, fraction.length)
  }
  const ms = Math.ceil(nanos / 1e6)
  // Beyond 2^53 ns (about 104 days) the sum is no longer exact: not a reset anyone should believe.
  return Number.isFinite(nanos) && nanos < 2 ** 53 ? ms : undefined
}
