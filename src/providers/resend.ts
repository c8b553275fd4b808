import { definePreset } from './define.js'
import { perWindow, SECOND } from './quota.js'

const baseUrl = 'https://api.resend.com'

/** Resend: bearer API keys (`re_…`), and the `User-Agent` Resend requires. */
export const resend = definePreset({
  name: 'resend',
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  // Resend refuses requests without a User-Agent (403, error 1010); name your app in its place.
  headers: { 'user-agent': 'seamline' },
  // Honoured on POST /emails and /emails/batch: the same key within 24 hours sends once.
  idempotencyHeader: 'Idempotency-Key',
  quotas: [
    // 2 requests a second per team, across all its API keys (raised on request), reported in
    // the draft-06 `ratelimit-*` headers, which name no policy: `default`.
    perWindow('second', 2, SECOND, 'default'),
  ],
})
