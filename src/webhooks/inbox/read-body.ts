/** What a body may arrive as: bytes already read, or a stream of chunks. */
export type RawBody = string | Uint8Array | AsyncIterable<Uint8Array | string>

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
}

/** Too many bodies are being read at once: this one was refused so the process holds no more. */
export class BodiesBusyError extends Error {
  override readonly name = 'BodiesBusyError'
}

/**
 * The bytes of every body being read at once, bounded: a body that would take more is refused.
 * Bodies that stall hold their bytes only until their connection's deadline, never more than this.
 */
export class ReadingBudget {
  #held = 0
  constructor(readonly limit: number) {}

  take(bytes: number): void {
    if (this.#held + bytes > this.limit)
      throw new BodiesBusyError(`bodies being read would hold more than ${this.limit} bytes`)
    this.#held += bytes
  }

  give(bytes: number): void {
    this.#held -= bytes
  }
}

/**
 * The body's exact bytes, read no further than `limit`: a larger body is refused as soon as the
 * limit is crossed, so an attacker cannot make the process buffer it. With a `budget`, the bytes
 * are counted in it while they are read.
 */
export async function readBody(
  body: RawBody,
  limit: number,
  budget?: ReadingBudget,
): Promise<Uint8Array> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    if (bytes.byteLength > limit) throw new BodyTooLargeError(`body exceeds ${limit} bytes`)
    return bytes
  }
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      if (size + bytes.byteLength > limit)
        throw new BodyTooLargeError(`body exceeds ${limit} bytes`)
      budget?.take(bytes.byteLength)
      size += bytes.byteLength
      chunks.push(bytes)
    }
    return Buffer.concat(chunks, size)
  } finally {
    // The chunks are copied into one buffer (or dropped): they are no longer held.
    budget?.give(size)
  }
}
