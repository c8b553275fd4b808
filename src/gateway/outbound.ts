import { createClient, HttpStatusError, type Client } from '../http/index.js'
import type { Clock } from '../time/index.js'

/**
 * A client for the POSTs the gateway makes as durable jobs (forwarded webhooks, operation
 * callbacks): one attempt each, since the job is what retries, with no quota of the client's own.
 */
export const oneAttemptClient = (name: string, baseUrl: string, timeoutMs: number, clock: Clock) =>
  createClient({
    name,
    baseUrl,
    retry: false,
    limiter: false,
    attemptTimeoutMs: timeoutMs,
    deadlineMs: timeoutMs,
    clock,
  })

/** What undici gives as a streamed body: dropped unread, within a signal. */
interface StreamedBody {
  dump(options: { signal: AbortSignal }): Promise<unknown>
}

/**
 * POSTs once to `url` and returns the status it answered, the answer's body dropped. The whole
 * exchange, the body included, is bounded by `timeoutMs`; redirects are not followed, so only the
 * URL given is ever reached. Throws when no answer came (refused, reset, timed out).
 */
export async function postOnce(
  client: Client,
  url: string,
  post: {
    headers: Record<string, string>
    body: Uint8Array
    signal: AbortSignal
    timeoutMs: number
  },
  clock: Clock,
): Promise<number> {
  const limit = new AbortController()
  const cancel = clock.after(post.timeoutMs, () =>
    limit.abort(new Error(`no answer within ${post.timeoutMs} ms`)),
  )
  const signal = AbortSignal.any([post.signal, limit.signal])
  try {
    // Streamed, so a 2xx body is never parsed (a destination may answer `ok` as JSON).
    const answer = await client.request<StreamedBody>('POST', url, {
      headers: post.headers,
      body: post.body,
      signal,
      stream: true,
    })
    // Reading it frees the connection.
    await answer.body.dump({ signal }).catch(() => undefined)
    return answer.status
  } catch (error) {
    if (error instanceof HttpStatusError) return error.status
    throw error
  } finally {
    cancel()
  }
}
