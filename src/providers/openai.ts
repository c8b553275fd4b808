import { definePreset } from './define.js'
import { MINUTE, perWindow } from './quota.js'

const baseUrl = 'https://api.openai.com/v1'

/**
 * OpenAI: bearer API keys. `x-should-retry`, 429 and 5xx are in the default table, and
 * `retry-after-ms` is honoured by the client.
 */
export const openai = definePreset({
  name: 'openai',
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  // No idempotency header: OpenAI documents none.
  // Limits are per organisation, per model and per usage tier, shown on the account's limits
  // page and reported on every response (x-ratelimit-*-requests / -tokens), which only ever
  // lower these. The defaults are Tier 1's for a flagship chat model, the safe end; set your
  // tier's values to go faster.
  quotas: [
    // Unconfirmed: 500 requests a minute at Tier 1 (third-party tables).
    perWindow('requests', 500, MINUTE, 'requests'),
    // Unconfirmed: 30,000 tokens a minute at Tier 1 for gpt-4o-class models (third-party
    // tables). A call costs 1 unless it passes `cost: { tokens: promptTokens + max_tokens }`.
    perWindow('tokens', 30_000, MINUTE, 'tokens'),
  ],
  // The SDK picks the error class from the status, and shows `error.message`.
  errorBody: ({ status, code, message }) => ({
    error: {
      message,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      param: null,
      code,
    },
  }),
})
