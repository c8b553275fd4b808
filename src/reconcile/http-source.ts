import {
  cursorPages,
  encodeForm,
  type Client,
  type FormInput,
  type PageRule,
} from '../http/index.js'
import {
  defineSource,
  type ReadOptions,
  type Source,
  type SourceRecord,
  type SourceStats,
} from './source.js'

export interface HttpListOptions {
  client: Client
  /** The list's path, e.g. `/v1/customers`. */
  path: string
  query?: Record<string, string>
  /** How pages link; default Stripe-style cursors (`has_more`, `starting_after`). */
  pages?: PageRule<SourceRecord>
  name?: string
  ordered?: boolean
  /** Extra query per run, e.g. a `created` window from an incremental run's window. */
  windowQuery?: (window: NonNullable<ReadOptions['window']>) => Record<string, FormInput>
  /** Stop after this many pages (a guard against a list that never ends). Default 100,000. */
  maxPages?: number
}

/**
 * Counts what the client spends: attempts (API calls), and waits for rate limits, both the
 * limiter's own (before sending) and retries after a 429.
 */
export function clientStats(client: Client): () => SourceStats {
  const stats: SourceStats = { apiCalls: 0, rateLimitWaits: 0, rateLimitWaitMs: 0 }
  // A 429's retry is a wait for the rate limit, whatever reason the provider's signals gave.
  let limited = false
  client.events.on('http:attempt', (e) => {
    stats.apiCalls++
    limited = e.status === 429
  })
  client.events.on('http:retry', (e) => {
    if (!limited) return
    limited = false
    stats.rateLimitWaits++
    stats.rateLimitWaitMs += e.waitMs
  })
  client.limiter?.events.on('limit:wait', (e) => {
    stats.rateLimitWaits++
    stats.rateLimitWaitMs += e.waitMs
  })
  return () => ({ ...stats })
}

/**
 * A provider's list API through the resilient client: every page is one call with its
 * retries, rate limits and deadline; the records of a page are handed over together.
 */
export function httpListSource(options: HttpListOptions): Source {
  const { client, path } = options
  const pages = options.pages ?? cursorPages()
  const maxPages = options.maxPages ?? 100_000
  return defineSource({
    name: options.name ?? `${client.name}${path}`,
    ordered: options.ordered ?? false,
    stats: clientStats(client),
    async *batches({ signal, window }) {
      const first = {
        ...options.query,
        ...(window && options.windowQuery
          ? Object.fromEntries(new URLSearchParams(encodeForm(options.windowQuery(window))))
          : {}),
      }
      let next: { path: string; query: Record<string, string> } | undefined = { path, query: first }
      for (let page = 0; next && page < maxPages; page++) {
        const response = await client.get(next.path, {
          query: next.query,
          ...(signal && { signal }),
        })
        const items = pages.items(response)
        if (items.length > 0) yield items
        next = pages.next(response, next.path, next.query)
      }
    },
  })
}
