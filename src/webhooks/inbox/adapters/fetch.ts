import type { WebhookInbox, WebhookResponse } from '../inbox.js'
import { chunksOf, rawBodyGone, receive, type SourceOf } from './shared.js'

/** The last segment of the request's path: `stripe` for `/webhooks/stripe`. */
export function lastPathSegment(request: Request): string | undefined {
  const segment = new URL(request.url).pathname.split('/').pop()
  if (segment === undefined || segment === '') return undefined
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

export const toResponse = ({ status, headers, body }: WebhookResponse): Response =>
  new Response(body, { status, headers })

/**
 * Receives a Fetch API request for `source`: its body is read as the raw bytes of the stream,
 * never through `json()` or `text()`. A request whose body was already read is answered 500.
 */
export async function receiveRequest(
  inbox: WebhookInbox,
  source: string | undefined,
  request: Request,
  fix = 'pass the handler the request before anything reads its body',
): Promise<Response> {
  if (request.bodyUsed) return toResponse(rawBodyGone(fix))
  const body = request.body === null ? '' : chunksOf(request.body)
  const answer = await receive(inbox, source, {
    headers: request.headers,
    body,
    url: request.url,
    method: request.method,
  })
  // The rest of a body over the limit is never read, so its connection cannot carry another
  // request: say so, or a server that closes it anyway would announce keep-alive.
  if (answer.status === 413) answer.headers['connection'] = 'close'
  return toResponse(answer)
}

/**
 * A handler for any Fetch API runtime (Deno, Bun, Cloudflare Workers, `@hono/node-server`…):
 * `Request` in, `Response` out. The source is fixed, or read from the request; by default it
 * is the last segment of the path (`/webhooks/stripe` → `stripe`).
 */
export function fetchHandler(
  inbox: WebhookInbox,
  source: SourceOf<Request> = lastPathSegment,
): (request: Request) => Promise<Response> {
  return (request) =>
    receiveRequest(inbox, typeof source === 'string' ? source : source(request), request)
}
