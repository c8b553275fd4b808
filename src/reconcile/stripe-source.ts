import { paginate, type Client } from '../http/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { httpListSource } from './http-source.js'
import type { Source } from './source.js'

export interface StripeListOptions {
  /** A client made with the Stripe preset (`createClient({ provider: stripe, … })`). */
  client: Client
  /** The list: `subscriptions`, `customers`, `charges`, `invoices`… */
  resource: string
  /** More filters for the list call. */
  query?: Record<string, string>
  /**
   * Records changed this recently are left out of the comparison on both sides (they may not
   * have reached the other system yet): found through the events list. Default 5 minutes; 0
   * turns it off.
   */
  settleMs?: number
  clock?: Clock
  name?: string
}

// Lists that leave records out unless asked for `status=all` (subscriptions hide canceled ones).
const statusAll = new Set(['subscriptions'])

/**
 * A Stripe list through the resilient client: 100 a page, `status=all` where the list hides
 * records by default, `created[gte]`/`created[lt]` for an incremental window (Stripe lists
 * filter on creation time only), and the ids of objects changed in the last `settleMs` (from
 * `/v1/events`) reported as unsettled so neither side is judged on them.
 */
export function stripeListSource(options: StripeListOptions): Source {
  const { client, resource } = options
  const clock = options.clock ?? systemClock
  const settleMs = options.settleMs ?? 5 * 60_000
  const path = `/v1/${resource}`
  const list = httpListSource({
    client,
    path,
    name: options.name ?? `stripe:${resource}`,
    query: {
      limit: '100',
      ...(statusAll.has(resource) && { status: 'all' }),
      ...options.query,
    },
    windowQuery: ({ from, to }) => ({
      created: {
        ...(from !== undefined && { gte: Math.floor(from / 1_000) }),
        ...(to !== undefined && { lt: Math.ceil(to / 1_000) }),
      },
    }),
  })
  if (settleMs <= 0) return list
  return {
    ...list,
    async unsettled({ signal } = {}) {
      const since = Math.floor((clock.now() - settleMs) / 1_000)
      const ids = new Set<string>()
      for await (const event of paginate<{ data?: { object?: { id?: unknown } } }>(
        client,
        '/v1/events',
        { query: { limit: '100', 'created[gte]': String(since) }, ...(signal && { signal }) },
      )) {
        const id = event.data?.object?.id
        if (typeof id === 'string') ids.add(id)
      }
      return [...ids]
    },
  }
}
