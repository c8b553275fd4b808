import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { createEmitter } from '../../events/index.js'
import { fastifyWebhooks } from '../../webhooks/index.js'
import { latency } from '../metrics.js'
import { servicesOf } from '../services.js'
import { createForwarder, type DeliveryEvents } from './forwarder.js'
import { observeWebhooks } from './observe.js'

export type { DeliveryEvents, DeliveryOutcome } from './forwarder.js'

type WebhookPlugin = (app: FastifyInstance) => Promise<void>

/**
 * Each answer to a provider, timed from its first byte to the ack, by source and status. A name
 * no source has is counted as `unknown`, so a stranger cannot grow the metric's labels.
 */
function timeAcks(
  app: FastifyInstance,
  registry: Registry,
  sources: Readonly<Record<string, { route?: string | undefined }>>,
): void {
  const seconds = latency(
    registry,
    'seamline_webhook_ack_seconds',
    'Time to answer a webhook delivery (verified, deduplicated and stored before a 2xx), by source and status.',
    ['source', 'status'],
  )
  const byRoute = new Map(
    Object.entries(sources).flatMap(([name, { route }]) => (route ? [[route, name]] : [])),
  )
  app.addHook('onResponse', async (request, reply) => {
    const named = (request.params as { source?: string }).source
    const source =
      named !== undefined && Object.hasOwn(sources, named)
        ? named
        : (byRoute.get(request.routeOptions.url ?? '') ?? 'unknown')
    seconds.observe({ source, status: String(reply.statusCode) }, reply.elapsedTime / 1_000)
  })
}

/**
 * Webhooks in: `POST /webhooks/:source` and each source's own `route`, verified, deduplicated and
 * stored before the 2xx; then forwarded to each source's destination as durable jobs.
 */
export async function webhookRoutes(app: FastifyInstance): Promise<void> {
  const { config, secrets, inbox, jobs, clock, limits, registry } = servicesOf(app)
  const { sources } = config.webhooks
  const deliveries = createEmitter<DeliveryEvents>()
  for (const [name, source] of Object.entries(sources)) {
    const secret = secrets.sources[name]!.destination
    const forwarder = createForwarder({
      source: name,
      destination: source.destination,
      secret,
      clock,
      limits,
      events: deliveries,
    })
    inbox.on(name, forwarder)
  }
  observeWebhooks(app.log, registry, { inbox, deliveries, jobs, sources: Object.keys(sources) })
  timeAcks(app, registry, sources)

  // Each registration is its own scope: the plugin leaves bodies unparsed only inside it.
  await app.register(fastifyWebhooks(inbox) as WebhookPlugin)
  for (const [name, source] of Object.entries(sources)) {
    if (source.route === undefined) continue
    await app.register(
      fastifyWebhooks(inbox, { path: source.route, source: name }) as WebhookPlugin,
    )
  }
}
