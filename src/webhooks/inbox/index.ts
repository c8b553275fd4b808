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
export type { FlatHeaders } from './event-identity.js'
export type { RawBody } from './read-body.js'
