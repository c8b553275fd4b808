import { timestampedListScheme } from './timestamped-list.js'

/**
 * Calendly: `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 * keyed with the webhook subscription's signing key as text. Calendly's guide suggests a
 * tolerance of about 3 minutes; the default here is the usual 5, set `toleranceMs` to match.
 */
export const calendly = timestampedListScheme({
  name: 'calendly',
  header: 'Calendly-Webhook-Signature',
  separator: ',',
  timestampKey: 't',
  signatureKey: 'v1',
  joiner: '.',
})
