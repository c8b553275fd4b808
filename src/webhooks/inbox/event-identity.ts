import { createHash } from 'node:crypto'

/** Headers with lower-case names, one value each. */
export type FlatHeaders = Readonly<Record<string, string>>

export interface EventIdentity {
  /** The provider's id for the event: the same on every delivery of it. */
  id: string
  type: string
}

type Reader = (
  headers: FlatHeaders,
  json: Record<string, unknown> | undefined,
) => { id: string | undefined; type: string | undefined }

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/**
 * Where each provider puts the event's id and type. An id must stay the same when the provider
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
}

/**
 * The event's id and type. Without an id from the provider, the id is a hash of the body, so
 * byte-identical deliveries still deduplicate.
 */
export function eventIdentity(
  scheme: string,
  headers: FlatHeaders,
  body: Uint8Array,
): EventIdentity {
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'))
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  const found = readers[scheme]?.(headers, json)
  const id = found?.id ?? `sha256:${createHash('sha256').update(body).digest('hex')}`
  return { id, type: found?.type ?? text(json?.type) ?? 'unknown' }
}
