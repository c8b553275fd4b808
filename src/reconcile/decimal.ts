// Exact decimals as strings: no float ever rounds a money amount on its way to a comparison.

const decimalPattern = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * The canonical text of a decimal number, or undefined when `text` is not one: no exponent, no
 * leading zeros, no trailing fraction zeros, no `-0`. `"10.50"`, `"10.5"`, `"1.05e1"` and
 * `10.5` all give `"10.5"`.
 */
export function normalizeDecimal(text: string): string | undefined {
  const match = decimalPattern.exec(text)
  if (!match) return undefined
  const [, sign = '', whole = '', fraction = '', exponent] = match
  if (whole === '' && fraction === '') return undefined
  return assemble(sign === '-', whole + fraction, whole.length + (exponent ? Number(exponent) : 0))
}

/** Digits with the decimal point after `point` of them (`point` may fall outside the digits). */
function assemble(negative: boolean, digits: string, point: number): string {
  let start = 0
  while (start < digits.length && digits.charCodeAt(start) === 48) start++
  let end = digits.length
  while (end > start && digits.charCodeAt(end - 1) === 48) end--
  if (start === end) return '0'
  const significant = digits.slice(start, end)
  point -= start
  let text: string
  if (point <= 0) text = `0.${'0'.repeat(-point)}${significant}`
  else if (point >= significant.length) text = significant + '0'.repeat(point - significant.length)
  else text = `${significant.slice(0, point)}.${significant.slice(point)}`
  return negative ? `-${text}` : text
}

/**
 * The canonical text of a JS number: its shortest round-trip digits (what `String(n)` shows),
 * written out without an exponent. Not finite numbers have no decimal form.
 */
export function numberToDecimal(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined
  // The common case: an integer that String() already writes out in full.
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value === 0 ? '0' : String(value)
  return normalizeDecimal(String(value))
}

/**
 * Moves the decimal point `places` to the right (negative: to the left), exactly: cents to units
 * is `shiftDecimal("1050", -2)` → `"10.5"`. `text` must already be canonical.
 */
export function shiftDecimal(text: string, places: number): string {
  if (places === 0 || text === '0') return text
  const negative = text.startsWith('-')
  const body = negative ? text.slice(1) : text
  const dot = body.indexOf('.')
  const digits = dot < 0 ? body : body.slice(0, dot) + body.slice(dot + 1)
  const point = (dot < 0 ? body.length : dot) + places
  return assemble(negative, digits, point)
}
