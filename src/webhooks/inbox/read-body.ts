/** What a body may arrive as: bytes already read, or a stream of chunks. */
export type RawBody = string | Uint8Array | AsyncIterable<Uint8Array | string>

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
}

/**
 * The body's exact bytes, read no further than `limit`: a larger body is refused as soon as the
 * limit is crossed, so an attacker cannot make the process buffer it.
 */
export async function readBody(body: RawBody, limit: number): Promise<Uint8Array> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    if (bytes.byteLength > limit) throw new BodyTooLargeError(`body exceeds ${limit} bytes`)
    return bytes
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    size += bytes.byteLength
    if (size > limit) throw new BodyTooLargeError(`body exceeds ${limit} bytes`)
    chunks.push(bytes)
  }
  return Buffer.concat(chunks, size)
}
