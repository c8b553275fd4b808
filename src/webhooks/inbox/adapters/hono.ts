import type { WebhookInbox } from '../inbox.js'
import { receiveRequest, toResponse } from './fetch.js'
import { rawBodyGone, receive, type SourceOf } from './shared.js'

/** The part of a Hono `Context` the handler uses. */
export interface HonoContextLike {
  req: {
    raw: Request
    param(name: string): string | undefined
    arrayBuffer(): Promise<ArrayBuffer>
    /** What Hono's own body readers (`c.req.text()`, `c.req.json()`…) kept of the body. */
    bodyCache?: object
  }
}

const fix =
  'register the webhook route before middleware that reads the body, or read it there with c.req.arrayBuffer() or c.req.text()'

/**
 * A Hono handler: `app.post('/webhooks/:source', honoHandler(inbox))`. The source is fixed, or
 * read from the context; by default it is the route parameter `source`.
 *
 * The body is streamed from the raw request, so a body over the inbox's limit is never buffered.
 * If middleware already read it through Hono, the bytes Hono kept are used when they are exact
 * (`arrayBuffer()`, `blob()`, or `text()`, which `json()` goes through); a body that is gone
 * otherwise is answered 500 rather than verified re-serialized.
 */
export function honoHandler<C extends HonoContextLike>(
  inbox: WebhookInbox,
  source: SourceOf<C> = (c) => c.req.param('source'),
): (c: C) => Promise<Response> {
  return async (c) => {
    const name = typeof source === 'string' ? source : source(c)
    const cached = Object.keys(c.req.bodyCache ?? {})
    if (cached.length === 0) return receiveRequest(inbox, name, c.req.raw, fix)
    if (!cached.some((key) => key === 'arrayBuffer' || key === 'blob' || key === 'text')) {
      return toResponse(rawBodyGone(fix))
    }
    const body = new Uint8Array(await c.req.arrayBuffer())
    const { headers, url, method } = c.req.raw
    return toResponse(await receive(inbox, name, { headers, body, url, method }))
  }
}
