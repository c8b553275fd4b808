import { definePreset } from './define.js'
import { MINUTE, perWindow } from './quota.js'

const baseUrl = 'https://slack.com/api'

/**
 * Slack Web API (`POST /chat.postMessage`…): bearer tokens (`xoxb-` bot, `xoxp-` user). A
 * rate-limited call gets 429 with `Retry-After`, which the default table and the client honour,
 * pausing this client's limiter. Other failures come as 200 with `ok: false` in the body.
 */
export const slack = definePreset({
  name: 'slack',
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  // No idempotency header: Slack documents none.
  quotas: [
    // Slack limits each method per workspace per app, by tier (1+, 20+, 50+ or 100+ a minute;
    // chat.postMessage about one a second per channel) and sends no rate-limit headers. One
    // client-wide quota cannot follow that: this caps the client at the top tier's documented
    // floor, bounding bursts, while lower tiers rely on 429 and Retry-After. A client spread over
    // many methods or channels should raise it.
    perWindow('minute', 100, MINUTE),
  ],
})
