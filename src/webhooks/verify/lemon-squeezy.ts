import { hmacHeaderScheme, providerConfig } from './generic-hmac.js'

/**
 * Lemon Squeezy: `X-Signature: <hex HMAC-SHA256 of the body>`, keyed with the signing secret
 * chosen for the webhook. Nothing dates it, and the body has no event id: replays are caught
 * only by deduplicating on the body (`meta.event_name` with `data.id` and `updated_at`).
 */
export const lemonSqueezy = hmacHeaderScheme(
  'lemon-squeezy',
  providerConfig({
    algorithm: 'sha256',
    encoding: 'hex',
    header: 'X-Signature',
    signedContent: '{body}',
  }),
)
