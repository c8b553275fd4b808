import { definePreset } from './define.js'
import { MINUTE, perWindow } from './quota.js'

const baseUrl = 'https://maps.googleapis.com'

/**
 * Google Maps Platform web services on maps.googleapis.com (`/maps/api/geocode/json`…): the
 * API key in the `key` query parameter. No rules: these services report quota errors as
 * HTTP 200 with `status: "OVER_QUERY_LIMIT"` in the body, and a 403 over quota
 * (`rateLimitExceeded`) is told from a refused key only by its body; rules see neither. Newer
 * services on other hosts answer 429, which the default table retries.
 */
export const googleMaps = definePreset({
  name: 'google-maps',
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'query', name: 'key' },
  // No idempotency header: Google documents none for these services.
  quotas: [
    // 3,000 queries a minute per project for the Geocoding API, browser and server calls
    // together. Unconfirmed for the other services on this host, each with its own per-minute
    // quota in the Cloud console. No rate-limit headers to report it.
    perWindow('minute', 3_000, MINUTE),
  ],
})
