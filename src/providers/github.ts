import type { Rule } from '../policies/index.js'
import { definePreset } from './define.js'
import { HOUR, inFlight, MINUTE, perWindow } from './quota.js'

const baseUrl = 'https://api.github.com'

/**
 * GitHub answers a spent primary limit with 403 (or 429) and `x-ratelimit-remaining: 0`; the
 * default table calls a 403 a client error. The request was refused unprocessed, so any method
 * may repeat it.
 */
const primaryLimit: Rule = {
  reason: 'primary rate limit exhausted',
  verdict: 'retry',
  matches: (facts) =>
    facts.status === 403 && facts.header?.('x-ratelimit-remaining')?.trim() === '0',
}

/**
 * A secondary limit is a 403 (or 429) with `retry-after`. A secondary-limit 403 without it can
 * only be told from a permission 403 by its body, which rules do not see: it stays a failure.
 */
const secondaryLimit: Rule = {
  reason: 'secondary rate limit',
  verdict: 'retry',
  matches: (facts) => facts.status === 403 && facts.header?.('retry-after') !== undefined,
}

/** GitHub REST: bearer tokens, a pinned API version, and the `User-Agent` GitHub requires. */
export const github = definePreset({
  name: 'github',
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  headers: {
    accept: 'application/vnd.github+json',
    // The version requests without the header get, supported until at least March 2028;
    // 2026-03-10 is newer and has breaking changes.
    'x-github-api-version': '2022-11-28',
    // GitHub refuses requests without a User-Agent; name your app in its place.
    'user-agent': 'seamline',
  },
  // No idempotency header: GitHub documents none.
  quotas: [
    // 5,000 requests an hour for a user token, reported as the `core` resource. GitHub App
    // installations and Enterprise Cloud get more, which a preset cannot know: override to use it.
    perWindow('hour', 5_000, HOUR, 'core'),
    // Secondary limit: 900 points a minute, a read costing 1 and a write 5 (pass
    // `cost: { points: 5 }` on writes). It bounds bursts the hourly quota would allow.
    perWindow('points', 900, MINUTE),
    // Secondary limit: at most 100 requests in flight.
    inFlight('concurrent', 100),
  ],
  rules: [primaryLimit, secondaryLimit],
  // Octokit's RequestError shows `message`; `status` is a string in GitHub's own bodies.
  errorBody: ({ status, code, message }) => ({
    message,
    documentation_url: 'https://docs.github.com/rest',
    status: String(status),
    code,
  }),
})
