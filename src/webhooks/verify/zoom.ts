import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<t>:<body>">` with
 * `x-zm-request-timestamp: <t>`, keyed with the app's secret token. Zoom's examples read the
 * timestamp as unix seconds; Zoom publishes no tolerance, so the default 5 minutes applies.
 */
export const zoom = hmacHeaderScheme(
  'zoom',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'hex',
    header: 'x-zm-signature',
    prefix: 'v0=',
    signedContent: 'v0:{timestamp}:{body}',
    timestampHeader: 'x-zm-request-timestamp',
  }),
)
