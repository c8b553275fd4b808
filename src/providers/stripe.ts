import type { Rule } from '../policies/index.js'
import { definePreset } from './define.js'
import { perWindow, SECOND } from './quota.js'

const baseUrl = 'https://api.stripe.com'

/**
 * Stripe answers 409 while another request with the same idempotency key is still running;
 * repeated with that key once it finishes, the first one's result is replayed (the official
 * stripe-node retries 409 for this reason). A `Stripe-Should-Retry` header, when sent, still
 * decides through the default table.
 */
const sameKeyStillRunning: Rule = {
  reason: 'a request with the same idempotency key is still running',
  verdict: 'retry-if-safe',
  matches: (facts) => facts.status === 409 && facts.header?.('stripe-should-retry') === undefined,
}

/**
 * Stripe: one base URL for live mode and sandboxes (the key decides which), bearer secret keys,
 * `Idempotency-Key` on POST. `Stripe-Should-Retry`, 429 and 5xx are in the default table.
 */
export const stripe = definePreset({
  name: 'stripe',
  environments: {
    // 100 operations a second per account in live mode (docs.stripe.com/rate-limits).
    live: { baseUrl, quotas: [perWindow('second', 100, SECOND)] },
    // 25 a second in a sandbox. Stripe sends no rate-limit headers, so nothing is reportedAs.
    sandbox: { baseUrl, quotas: [perWindow('second', 25, SECOND)] },
  },
  // The lower limit: a client that names no environment cannot outrun a sandbox.
  defaultEnvironment: 'sandbox',
  auth: { kind: 'bearer' },
  idempotencyHeader: 'Idempotency-Key',
  rules: [sameKeyStillRunning],
  // Stripe's SDKs pick the error class from the status, and read `error.message`.
  errorBody: ({ status, code, message }) => ({
    error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', code, message },
  }),
})
