import type { Jobs } from '../jobs/index.js'
import type { InboxListing, Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'
import {
  createWebhookInbox,
  eventsOf,
  type WebhookInbox,
  type WebhookSchemeName,
  type WebhookSourceOptions,
} from '../webhooks/index.js'
import type { GatewayConfig } from './config-schema.js'
import type { GatewaySecrets } from './secrets.js'

/** The value at a dotted path of a payload (`data.object.customer`), as an ordering key. */
export function valueAt(payload: unknown, path: string): string | undefined {
  let value: unknown = payload
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  if (typeof value === 'string' && value !== '') return value
  return typeof value === 'number' ? String(value) : undefined
}

function sourceOptions(
  source: GatewayConfig['webhooks']['sources'][string],
  secrets: string[],
): WebhookSourceOptions {
  const retry = source.destination.retry
  const orderingKey = source.orderingKey
  return {
    scheme: source.provider as WebhookSourceOptions['scheme'],
    secrets,
    ...(source.toleranceMs !== undefined && { toleranceMs: source.toleranceMs }),
    ...(orderingKey !== undefined && {
      orderBy: (event) => valueAt(event.payload, orderingKey),
    }),
    job: {
      ...(retry?.maxAttempts !== undefined && { maxAttempts: retry.maxAttempts }),
      backoff: {
        ...(retry?.baseMs !== undefined && { baseMs: retry.baseMs }),
        ...(retry?.capMs !== undefined && { capMs: retry.capMs }),
      },
    },
  }
}

/** The inbox of every configured webhook source: verified, deduplicated, stored before the 2xx. */
export function gatewayInbox(
  config: GatewayConfig,
  secrets: GatewaySecrets,
  services: { store: Store; jobs: Jobs; clock: Clock },
): WebhookInbox {
  const { webhooks } = config
  const sources = Object.fromEntries(
    Object.entries(webhooks.sources).map(([name, source]) => [
      name,
      sourceOptions(source, secrets.sources[name]?.verify ?? []),
    ]),
  )
  return createWebhookInbox({
    ...services,
    sources,
    ...(webhooks.maxBodyBytes !== undefined && { maxBodyBytes: webhooks.maxBodyBytes }),
    ...(webhooks.retentionMs !== undefined && { retentionMs: webhooks.retentionMs }),
  })
}

/** Reads a stored event's type from its body, as its source's provider writes it. */
export function eventTypeReader(config: GatewayConfig): (event: InboxListing) => string {
  const sources = config.webhooks.sources
  return (event) => {
    const provider = sources[event.source]?.provider as WebhookSchemeName | undefined
    if (!provider) return 'unknown'
    try {
      return eventsOf(provider, event.headers, event.body)[0]?.type ?? 'unknown'
    } catch {
      return 'unknown'
    }
  }
}
