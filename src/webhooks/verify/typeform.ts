import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`, keyed with the
 * webhook's secret. Nothing dates it: replays are caught only by deduplicating on the body's
 * `event_id`.
 */
export const typeform = hmacHeaderScheme(
  'typeform',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'base64',
    header: 'Typeform-Signature',
    prefix: 'sha256=',
    signedContent: '{body}',
  }),
)
