import { createHmac, timingSafeEqual } from 'node:crypto'

/** HMAC-SHA256 over the parts in order; strings are taken as UTF-8, bytes exactly as given. */
export function hmacSha256(key: Uint8Array, ...parts: readonly (string | Uint8Array)[]): Buffer {
  const hmac = createHmac('sha256', key)
  for (const part of parts) hmac.update(part)
  return hmac.digest()
}

/**
 * True when some candidate equals the signature one of the keys gives. Each comparison takes
 * constant time; a candidate of another length is simply not a match.
 */
export function matchesAny(
  candidates: readonly string[],
  keys: readonly Buffer[],
  expected: (key: Buffer) => string,
): boolean {
  return keys.some((key) => {
    const wanted = Buffer.from(expected(key))
    return candidates.some((candidate) => {
      const given = Buffer.from(candidate)
      return given.length === wanted.length && timingSafeEqual(given, wanted)
    })
  })
}
