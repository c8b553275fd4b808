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

// A status that may carry no body, as `Response` requires.
const bodiless = new Set([101, 204, 205, 304])

const responseOf = (status: number, headers: Record<string, string>, text: string): Response =>
  new Response(bodiless.has(status) ? null : text, { status, headers })

/**
 * `fetch` for what takes one rather than a client (the OAuth token endpoint, below the client in
 * the layers): each request is one attempt of a one-attempt client for its origin, never a retry,
 * since a refresh token may be spent by its first use. Bodies are strings or bytes.
 */
export function clientFetch(
  name: string,
  clock: Clock,
  timeoutMs = 30_000,
): typeof globalThis.fetch {
  const clients = new Map<string, Client>()
  const clientFor = (url: URL): Client => {
    let client = clients.get(url.origin)
    if (!client) {
      client = oneAttemptClient(`${name} ${url.host}`, url.origin, timeoutMs, clock)
      clients.set(url.origin, client)
    }
    return client
  }
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const { body, signal } = init
    if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError(`${name}: a request body must be a string or bytes`)
    }
    try {
      const answer = await clientFor(url).request<{ text(): Promise<string> }>(
        init.method ?? 'GET',
        url.href,
        {
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          ...(body != null && { body }),
          ...(signal && { signal }),
          // Left unparsed: the caller reads the body as it was sent.
          stream: true,
        },
      )
      return responseOf(answer.status, answer.headers, await answer.body.text())
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error
      const text = typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? null)
      return responseOf(error.status, { ...error.headers }, text)
    }
  }
}
