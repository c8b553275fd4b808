import type { WebhookInbox } from '../inbox.js'
import { receiveRequest } from './fetch.js'

type Params = Record<string, string | string[] | undefined>

/** The second argument of an App Router route handler (`params` is a promise since Next.js 15). */
export interface NextRouteContext {
  params?: Promise<Params> | Params
}

/**
 * A Next.js App Router route handler:
 * `export const POST = nextRouteHandler(inbox)` in `app/webhooks/[source]/route.ts` takes the
 * source from the `[source]` segment; `nextRouteHandler(inbox, 'stripe')` fixes it. Run it on
 * the Node.js runtime (`export const runtime = 'nodejs'`), where the inbox's store lives.
 *
 * The body is streamed from the request as raw bytes, so a body over the inbox's limit is never
 * buffered; a request whose body was already read is answered 500.
 */
export function nextRouteHandler(
  inbox: WebhookInbox,
  source?: string | ((request: Request, params: Params) => string | undefined),
): (request: Request, context?: NextRouteContext) => Promise<Response> {
  return async (request, context) => {
    let name: string | undefined
    if (typeof source === 'string') name = source
    else {
      const params = (await context?.params) ?? {}
      if (source) name = source(request, params)
      else if (typeof params['source'] === 'string') name = params['source']
    }
    return receiveRequest(inbox, name, request)
  }
}
