import { definePreset } from './define.js'
import { inFlight } from './quota.js'

const baseUrl = 'https://api.twilio.com/2010-04-01'

/**
 * Twilio REST API (messages, calls, accounts): HTTP basic auth with the credential
 * `ApiKeySid:ApiKeySecret` (Twilio's advice for production) or `AccountSid:AuthToken`. Its 429
 * (error 20429) is never processed and always safe to repeat, as the default table already
 * treats it. Other Twilio products (messaging.twilio.com, verify…) live at other URLs.
 */
export const twilio = definePreset({
  name: 'twilio',
  // Test credentials use the same URL.
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'basic' },
  // No idempotency header: Twilio documents none for REST requests (I-Twilio-Idempotency-Token
  // is on the webhooks Twilio sends), and says a retried POST may send a message twice.
  quotas: [
    // Twilio limits concurrent requests per account. Unconfirmed: 100 by default (third-party
    // sources; Twilio's own pages give no number). No rate-limit headers to report it.
    inFlight('concurrent', 100),
  ],
})
