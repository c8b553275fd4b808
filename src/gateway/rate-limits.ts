import type { Limiter } from '../limits/index.js'

/** One quota of one limiter the gateway calls through, as the admin API and dashboard show it. */
export interface RateLimitGauge {
  /** What is limited: a provider, or a webhook destination. */
  subject: string
  /** The window or quota within it (`second`, `concurrent`…). */
  quota: string
  /** Units used now (in the window) or held (concurrency). */
  used: number
  /** The limit in force: the configured one, or what the provider's headers taught. */
  limit: number
}

/** Each quota of each limiter, as its use now against its limit in force. */
export async function rateLimitGauges(
  limiters: ReadonlyMap<string, Limiter>,
): Promise<RateLimitGauge[]> {
  const all = await Promise.all(
    [...limiters].map(async ([subject, limiter]) =>
      Object.entries(await limiter.usage()).map(([quota, use]) => ({ subject, quota, ...use })),
    ),
  )
  return all.flat()
}
