import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Xero: `x-xero-signature: <base64 HMAC-SHA256 of the body>`, keyed with the app's webhook
 * key. Nothing dates it. Xero's "intent to receive" check sends correctly and wrongly signed
 * requests and expects 200 and 401 respectively; answering from `verify` does exactly that.
 */
export const xero = hmacHeaderScheme(
  'xero',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'base64',
    header: 'x-xero-signature',
    signedContent: '{body}',
  }),
)
