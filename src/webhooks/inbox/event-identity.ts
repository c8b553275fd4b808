import { createHash } from 'node:crypto'

/** Headers with lower-case names, one value each. */
export type FlatHeaders = Readonly<Record<string, string>>

export interface EventIdentity {
  /** The provider's id for the event: the same on every delivery of it. */
  id: string
  type: string
  /** For a delivery that carries several events (HubSpot, SendGrid…), this event's own item. */
  item?: unknown
}

type Json = Record<string, unknown> | undefined
type Found = { id: string | undefined; type: string | undefined }
type Reader = (headers: FlatHeaders, json: Json) => Found

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number'
      ? String(value)
      : undefined
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined

/**
 * Where each provider puts an event's id and type. An id must stay the same when the provider
 * delivers the event again, or deduplication would miss the repeat.
 */
const readers: Readonly<Record<string, Reader>> = {
  // evt_… in the body; Stripe sends the same event object on every retry.
  stripe: (_h, json) => ({ id: text(json?.id), type: text(json?.type) }),
  // X-GitHub-Delivery is kept when a delivery is redelivered.
  github: (h) => ({ id: h['x-github-delivery'], type: h['x-github-event'] }),
  // X-Shopify-Event-Id names the event; X-Shopify-Webhook-Id differs between deliveries.
  shopify: (h) => ({
    id: h['x-shopify-event-id'] ?? h['x-shopify-webhook-id'],
    type: h['x-shopify-topic'],
  }),
  'standard-webhooks': (h, json) => ({ id: h['webhook-id'], type: text(json?.type) }),
  svix: (h, json) => ({ id: h['svix-id'], type: text(json?.type) }),
  slack: (_h, json) => ({
    id: text(json?.event_id),
    type: text(field(json?.event, 'type')) ?? text(json?.type),
  }),
  // Twilio sends the same token on every retry of one callback.
  twilio: (h) => ({ id: h['i-twilio-idempotency-token'], type: undefined }),
  paddle: (_h, json) => ({ id: text(json?.event_id), type: text(json?.event_type) }),
  square: (_h, json) => ({ id: text(json?.event_id), type: text(json?.type) }),
  discord: (_h, json) => ({ id: text(json?.id), type: text(json?.type) }),
  linear: (h, json) => ({
    id: h['linear-delivery'] ?? text(json?.webhookId),
    type: [text(json?.type), text(json?.action)].filter(Boolean).join('.') || undefined,
  }),
  mailgun: (_h, json) => ({
    id: text(field(json?.['event-data'], 'id')),
    type: text(field(json?.['event-data'], 'event')),
  }),
  'lemon-squeezy': (h, json) => ({
    id: undefined,
    type: h['x-event-name'] ?? text(field(json?.meta, 'event_name')),
  }),
  typeform: (_h, json) => ({ id: text(json?.event_id), type: text(json?.event_type) }),
  calendly: (_h, json) => ({ id: undefined, type: text(json?.event) }),
  gitlab: (h) => ({
    id: h['x-gitlab-event-uuid'] ?? h['idempotency-key'],
    type: h['x-gitlab-event'],
  }),
  twitch: (h) => ({
    id: h['twitch-eventsub-message-id'],
    type: h['twitch-eventsub-subscription-type'],
  }),
  zoom: (_h, json) => ({ id: undefined, type: text(json?.event) }),
  paypal: (_h, json) => ({ id: text(json?.id), type: text(json?.event_type) }),
}

/** Providers whose one delivery carries an array of events, each with its own id. */
const batches: Readonly<Record<string, (item: unknown) => Found>> = {
  hubspot: (item) => ({
    id: text(field(item, 'eventId')),
    type: text(field(item, 'subscriptionType')),
  }),
  sendgrid: (item) => ({ id: text(field(item, 'sg_event_id')), type: text(field(item, 'event')) }),
}

const hash = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

function parse(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return undefined
  }
}

// Providers whose event id travels outside what they sign (a header beside the signed body):
// anyone holding one signed delivery could post it again under a new id.
const unsignedIds = new Set(['github', 'shopify', 'twilio', 'gitlab', 'linear'])

/**
 * The second key a delivery is a duplicate by, for a provider that does not sign its event id:
 * a digest of the signed body, so a replay under a new id is recognized. Undefined for the others,
 * whose id the signature covers.
 */
export const replayKeyOf = (scheme: string, body: Uint8Array): string | undefined =>
  unsignedIds.has(scheme) ? hash(body) : undefined

/**
 * The events one delivery carries: one, or one per item for the batch providers. Without an id
 * from the provider, an event's id is a hash of its bytes, so identical deliveries still
 * deduplicate.
 */
export function eventsOf(
  scheme: string,
  headers: FlatHeaders,
  body: Uint8Array,
  parsed: unknown = parse(body),
): EventIdentity[] {
  const batch = Object.hasOwn(batches, scheme) ? batches[scheme] : undefined
  // A stored item of a batch is read again on its own when its handler runs.
  if (batch && typeof parsed === 'object' && parsed !== null) {
    return (Array.isArray(parsed) ? (parsed as unknown[]) : [parsed]).map((item) => {
      const found = batch(item)
      return {
        id: found.id ?? hash(Buffer.from(JSON.stringify(item))),
        type: found.type ?? 'unknown',
        item,
      }
    })
  }
  const json = typeof parsed === 'object' && parsed !== null ? (parsed as Json) : undefined
  const found = Object.hasOwn(readers, scheme) ? readers[scheme]?.(headers, json) : undefined
  return [{ id: found?.id ?? hash(body), type: found?.type ?? text(json?.type) ?? 'unknown' }]
}
