import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebhookInbox, WebhookResponse } from '../inbox.js'
import type { RawBody } from '../read-body.js'
import { requestUrl, writeAnswer } from './node-response.js'
import { rawBodyGone, receive, type SourceOf } from './shared.js'

/** The part of an Express (or Connect) request the handler uses. */
export interface ExpressRequestLike extends IncomingMessage {
  /** Set by a body parser: a Buffer from `express.raw()`, an object from `express.json()`… */
  body?: unknown
  /** The raw bytes, as some platforms and `express.json({ verify })` recipes keep them. */
  rawBody?: unknown
  params?: Record<string, string | undefined>
  /** The protocol, as Express determines it (`trust proxy` decides whether to believe proxies). */
  protocol?: string
  /** The path as received, before routers mounted on a prefix cut it from `url`. */
  originalUrl?: string
}

const fix =
  "mount the webhook handler before express.json() (or any body parser), or give its route express.raw({ type: '*/*' })"

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array

/**
 * The raw body of an Express request, wherever it is: `req.rawBody` or a Buffer `req.body` left
 * by `express.raw()`, else the request stream if nothing read it. `undefined` when a parser read
 * the stream and kept only what it parsed.
 */
function rawBodyOf(request: ExpressRequestLike): RawBody | undefined {
  if (isBytes(request.rawBody)) return request.rawBody
  if (isBytes(request.body)) return request.body
  if (!request.readableDidRead && !request.readableEnded) return request
  return undefined
}

/**
 * An Express handler (also a Connect-style middleware): mount it with
 * `app.post('/webhooks/:source', expressHandler(inbox))`. The source is fixed, or read from
 * the request; by default it is the route parameter `source`.
 *
 * It works with or without a body parser before it: the bytes verified are `req.rawBody`, a
 * Buffer `req.body` (from `express.raw()`), or the unread request stream. When a parser such as
 * `express.json()` consumed the stream, it answers 500 and says how to mount it, rather than
 * verify re-serialized JSON.
 */
export function expressHandler(
  inbox: WebhookInbox,
  source: SourceOf<ExpressRequestLike> = (request) => request.params?.['source'],
): (
  request: ExpressRequestLike,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void {
  return (request, response, next) => {
    const name = typeof source === 'string' ? source : source(request)
    const body = rawBodyOf(request)
    const answer: Promise<WebhookResponse> =
      body === undefined
        ? Promise.resolve(rawBodyGone(fix))
        : receive(inbox, name, {
            headers: request.headers,
            body,
            url: requestUrl(request, request.protocol, request.originalUrl ?? request.url),
            method: request.method,
          })
    answer
      .then((result) => writeAnswer(request, response, result))
      .catch((error: unknown) => {
        if (next) next(error)
        else if (!response.headersSent) response.writeHead(500).end()
        else response.destroy()
      })
  }
}
