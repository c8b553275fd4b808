import { SeamlineError } from '../errors/index.js'
import { definePreset } from './define.js'
import { perWindow, SECOND } from './quota.js'

/**
 * The Admin API version the `shopify` preset pins: a stable version confirmed published, each
 * supported for at least 12 months (2026-04: until April 2027 or later). Newer ones come out
 * every quarter; take one with `shopifyVersion('2026-10')`.
 */
export const shopifyApiVersion = '2026-04'

/**
 * The Shopify preset on another Admin API version (`2026-10`, `unstable`…). Shopify pins the
 * version in the URL and recommends every app choose its own.
 */
export function shopifyVersion(version: string) {
  if (!/^(?:\d{4}-(?:01|04|07|10)|unstable)$/.test(version))
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'shopifyVersion',
      target: 'version',
      reason: `is "${version}", which is not a Shopify API version (YYYY-01, -04, -07, -10 or unstable)`,
    })
  // `{shop}` is the store's subdomain: `my-store` for my-store.myshopify.com.
  const baseUrl = `https://{shop}.myshopify.com/admin/api/${version}`
  return definePreset({
    name: 'shopify',
    // A development store is a shop like any other: same URL.
    environments: { live: { baseUrl }, sandbox: { baseUrl } },
    defaultEnvironment: 'live',
    auth: { kind: 'header', name: 'x-shopify-access-token' },
    // No idempotency header: Shopify takes its keys in the body (`unique_token`, GraphQL's
    // `@idempotent(key:)`), and only on payment and billing mutations.
    quotas: [
      // REST (legacy since October 2024): a leaky bucket of 40 calls leaking 2 a second on
      // standard plans, reported in X-Shopify-Shop-Api-Call-Limit as `calls`. 40 per 20 s never
      // exceeds it. Advanced and Plus plans get more; override to use it.
      perWindow('calls', 40, 20 * SECOND, 'calls'),
      // GraphQL: 100 points a second on standard plans, reported as `cost`; a GraphQL call
      // passes `cost: { calls: 0, cost: requestedQueryCost }`. Unconfirmed: Shopify publishes the
      // rate but not the current bucket size; 1,000 per 10 s assumes a bucket of at least 1,000,
      // the cost of the largest query it accepts.
      perWindow('cost', 1_000, 10 * SECOND, 'cost'),
    ],
  })
}

/**
 * Shopify Admin API (REST and GraphQL) at `https://{shop}.myshopify.com/admin/api/2026-04`:
 * `params: { shop }`, the access token in `X-Shopify-Access-Token`.
 */
export const shopify = shopifyVersion(shopifyApiVersion)
