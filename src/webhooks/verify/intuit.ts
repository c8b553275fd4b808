import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Intuit (QuickBooks Online): `intuit-signature: <base64 HMAC-SHA256 of the body>`, keyed with
 * the app's verifier token. Nothing dates it: replays are caught only by deduplicating.
 */
export const intuit = hmacHeaderScheme(
  'intuit',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'base64',
    header: 'intuit-signature',
    signedContent: '{body}',
  }),
)
