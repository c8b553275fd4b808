import type { WebhookSchemeName } from '../webhooks/index.js'

/** The schemes the simulator sends webhooks in: those whose retry behaviour it models. */
export type SimulatedSchemeName = Extract<
  WebhookSchemeName,
  'stripe' | 'github' | 'shopify' | 'standard-webhooks'
>

const minute = 60_000
const hour = 60 * minute

/** How a provider retries a delivery that was not acknowledged, and how long it waits for one. */
export interface DeliveryPolicy {
  /** Waits between attempts, in ms: `[a, b]` means retry a ms after the first failure, then b after the second. */
  schedule: readonly number[]
  /** A response slower than this counts as a failure. */
  ackTimeoutMs: number
}

const doubling = (first: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => first * 2 ** i)

/**
 * The providers' published behaviour (see docs/simulator.md): Stripe retries live events with
 * exponential backoff for up to three days (12 doublings from a minute: about 68 h); GitHub does
 * not retry on its own; Shopify retries 8 times over about 4 h; Standard Webhooks senders (Svix)
 * retry after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
 */
export const deliveryPolicies: Readonly<Record<SimulatedSchemeName, DeliveryPolicy>> = {
  stripe: { schedule: doubling(minute, 12), ackTimeoutMs: 30_000 },
  github: { schedule: [], ackTimeoutMs: 10_000 },
  shopify: { schedule: doubling(minute, 8), ackTimeoutMs: 5_000 },
  'standard-webhooks': {
    schedule: [5_000, 5 * minute, 30 * minute, 2 * hour, 5 * hour, 10 * hour, 10 * hour],
    ackTimeoutMs: 15_000,
  },
}

/** The headers each provider sends besides its signature, for one delivery of one event. */
export function providerHeaders(
  scheme: SimulatedSchemeName,
  event: { id: string; type: string },
  deliveryId: string,
  now: number,
): Record<string, string> {
  switch (scheme) {
    case 'stripe':
      return { 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' }
    case 'github':
      // X-GitHub-Delivery stays the same when a delivery is sent again.
      return {
        'x-github-event': event.type,
        'x-github-delivery': deliveryId,
        'x-github-hook-id': '1',
      }
    case 'shopify':
      return {
        'x-shopify-topic': event.type,
        'x-shopify-event-id': event.id,
        'x-shopify-webhook-id': deliveryId,
        'x-shopify-shop-domain': 'simulated.myshopify.com',
        'x-shopify-api-version': '2025-01',
        'x-shopify-triggered-at': new Date(now).toISOString(),
      }
    case 'standard-webhooks':
      return {}
  }
}
