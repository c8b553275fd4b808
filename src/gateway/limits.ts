import type { Registry } from 'prom-client'
import {
  createLimiter,
  type Limiter,
  type QuotaSpec,
  type QuotaStoreFactory,
} from '../limits/index.js'
import type { Clock } from '../time/index.js'
import { counter } from './metrics.js'

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

/** Every limiter the gateway calls through (providers, destinations), shared by the families. */
export interface GatewayLimits {
  /** Where quotas are counted: Redis when configured (shared by every process), else undefined. */
  readonly store: QuotaStoreFactory | undefined
  /** A limiter of `quotas`, counted in `store`, watched as `subject`. */
  create(subject: string, options: { name: string; quotas: QuotaSpec[] }): Limiter
  /** Shows `limiter` in the admin API and the dashboard as `subject`, and counts its waits. */
  watch(subject: string, limiter: Limiter): void
  /** Each quota of each limiter, as its use now against its limit in force. */
  gauges(): Promise<RateLimitGauge[]>
}

export function createLimits(
  registry: Registry,
  clock: Clock,
  store: QuotaStoreFactory | undefined,
): GatewayLimits {
  const limiters = new Map<string, Limiter>()
  const waits = counter(
    registry,
    'seamline_rate_limit_waits_total',
    "Calls that waited for a quota's room, by provider or destination.",
    ['subject'],
  )
  const waitSeconds = counter(
    registry,
    'seamline_rate_limit_wait_seconds_total',
    "Time calls were told to wait for a quota's room, by provider or destination.",
    ['subject'],
  )
  const watch: GatewayLimits['watch'] = (subject, limiter) => {
    limiters.set(subject, limiter)
    limiter.events.on('limit:wait', ({ waitMs }) => {
      waits.inc({ subject })
      waitSeconds.inc({ subject }, waitMs / 1_000)
    })
  }
  return {
    store,
    create(subject, { name, quotas }) {
      const limiter = createLimiter({ quotas, clock, name, ...(store && { store }) })
      watch(subject, limiter)
      return limiter
    },
    watch,
    async gauges() {
      const all = await Promise.all(
        [...limiters].map(async ([subject, limiter]) =>
          Object.entries(await limiter.usage()).map(([quota, use]) => ({ subject, quota, ...use })),
        ),
      )
      return all.flat()
    },
  }
}
