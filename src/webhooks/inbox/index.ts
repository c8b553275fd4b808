export {
  createWebhookInbox,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookInbox,
  type WebhookInboxEvents,
  type WebhookInboxOptions,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookSourceOptions,
} from './inbox.js'
export { nodeHandler } from './node-http.js'
export { eventsOf, type EventIdentity, type FlatHeaders } from './event-identity.js'
export type { RawBody } from './read-body.js'
export { expressHandler, type ExpressRequestLike } from './adapters/express.js'
export {
  fastifyWebhooks,
  type FastifyInstanceLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
  type FastifyWebhooksOptions,
} from './adapters/fastify.js'
export { fetchHandler, lastPathSegment } from './adapters/fetch.js'
export { honoHandler, type HonoContextLike } from './adapters/hono.js'
export { nextRouteHandler, type NextRouteContext } from './adapters/next.js'
export type { SourceOf } from './adapters/shared.js'
