import { createHmac, timingSafeEqual } from 'node:crypto'

/** HMAC over the parts in order; strings are taken as UTF-8, bytes exactly as given. */
export function hmac(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: Uint8Array,
  ...parts: readonly (string | Uint8Array)[]
): Buffer {
  const mac = createHmac(algorithm, key)
  for (const part of parts) mac.update(part)
  return mac.digest()
}

export const hmacSha256 = (key: Uint8Array, ...parts: readonly (string | Uint8Array)[]): Buffer =>
  hmac('sha256', key, ...parts)

/**
 * True when some candidate equals `expected`. Each comparison takes constant time; a candidate
 * of another length is simply not a match.
 */
export function equalsAny(candidates: readonly string[], expected: string): boolean {
  const wanted = Buffer.from(expected)
  return candidates.some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === wanted.length && timingSafeEqual(given, wanted)
  })
}
