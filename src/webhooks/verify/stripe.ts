import { timestampedListScheme } from './timestamped-list.js'

/**
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; the key is the whole
 * `whsec_…` string as UTF-8, not a decoded form of it.
 */
export const stripe = timestampedListScheme({
  name: 'stripe',
  header: 'Stripe-Signature',
  separator: ',',
  timestampKey: 't',
  signatureKey: 'v1',
  joiner: '.',
})
