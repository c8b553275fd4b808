import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { WebhookInbox } from '../inbox.js'
import { leftUnread, requestUrl } from './node-response.js'
import { receive, type SourceOf } from './shared.js'

/** The part of a Fastify request the route uses. */
export interface FastifyRequestLike {
  raw: IncomingMessage
  headers: IncomingHttpHeaders
  /** `https` or `http`, as Fastify determines it (`trustProxy` decides whether to believe proxies). */
  protocol?: string
  params?: unknown
  body?: unknown
}

/** The part of a Fastify reply the route uses. */
export interface FastifyReplyLike {
  code(status: number): unknown
  headers(values: Record<string, string>): unknown
  send(payload?: unknown): unknown
}

/** The part of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): void
  addContentTypeParser(
    contentType: string,
    parser: (
      request: never,
      payload: IncomingMessage,
      done: (error: Error | null, body?: unknown) => void,
    ) => void,
  ): void
  post(
    path: string,
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>,
  ): unknown
}

export interface FastifyWebhooksOptions {
  /** The route, relative to the plugin's prefix. Default `/webhooks/:source`. */
  path?: string
  /** The source: fixed, or read from the request. Default the route parameter `source`. */
  source?: SourceOf<FastifyRequestLike>
}

const sourceParam = (request: FastifyRequestLike): string | undefined => {
  const params = request.params as Record<string, unknown> | undefined
  return typeof params?.['source'] === 'string' ? params['source'] : undefined
}

/**
 * A Fastify plugin with one POST route that hands deliveries to the inbox:
 * `await app.register(fastifyWebhooks(inbox))`.
 *
 * Inside the plugin's own scope (it is not wrapped in `fastify-plugin`, so the rest of the app
 * keeps its parsers) every content type is left unparsed: the request stream itself becomes
 * `request.body`, and the inbox reads its raw bytes under its own `maxBodyBytes`, so a body over
 * the limit is refused with the inbox's 413 without being buffered, and Fastify's `bodyLimit`
 * (1 MiB by default) does not cut in first.
 */
export function fastifyWebhooks(
  inbox: WebhookInbox,
  options: FastifyWebhooksOptions = {},
): (instance: FastifyInstanceLike) => Promise<void> {
  const { path = '/webhooks/:source', source = sourceParam } = options
  return (instance) => {
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    instance.post(path, async (request, reply) => {
      const name = typeof source === 'string' ? source : source(request)
      const body = request.body === undefined ? '' : (request.body as IncomingMessage)
      const url = requestUrl(request.raw, request.protocol)
      const { method } = request.raw
      const answer = await receive(inbox, name, { headers: request.headers, body, url, method })
      const { status, headers, body: text } = answer
      reply.code(status)
      reply.headers(leftUnread(request.raw) ? { ...headers, connection: 'close' } : headers)
      return reply.send(text)
    })
    return Promise.resolve()
  }
}
