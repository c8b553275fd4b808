import { definePreset } from './define.js'
import { DAY, perWindow, SECOND } from './quota.js'

const baseUrl = 'https://api.hubapi.com'

/** HubSpot: bearer tokens (a private app's static token or an OAuth access token). */
export const hubspot = definePreset({
  name: 'hubspot',
  // Developer test accounts and sandboxes use the same URL.
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  // No idempotency header: HubSpot documents none.
  // Limits depend on the account's subscription and the kind of app; these are the lowest
  // documented, the safe end, and X-HubSpot-RateLimit-* headers only ever lower them.
  quotas: [
    // 100 requests per 10 s: Free/Starter private apps, and OAuth apps per installed account.
    // Professional and Enterprise private apps get 190; override to use it.
    perWindow('interval', 100, 10 * SECOND, 'interval'),
    // 250,000 a day for Free/Starter (more on higher tiers; OAuth apps have no daily limit).
    // HubSpot resets it at midnight in the account's time zone; a rolling day is stricter.
    perWindow('daily', 250_000, DAY, 'daily'),
  ],
})
