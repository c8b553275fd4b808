import type { FastifyInstance } from 'fastify'
import { createEmitter } from '../../events/index.js'
import { fastifyWebhooks } from '../../webhooks/index.js'
import { servicesOf } from '../services.js'
import { createForwarder, type DeliveryEvents } from './forwarder.js'
import { observeWebhooks } from './observe.js'

export type { DeliveryEvents, DeliveryOutcome } from './forwarder.js'

type WebhookPlugin = (app: FastifyInstance) => Promise<void>

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

  // Each registration is its own scope: the plugin leaves bodies unparsed only inside it.
  await app.register(fastifyWebhooks(inbox) as WebhookPlugin)
  for (const [name, source] of Object.entries(sources)) {
    if (source.route === undefined) continue
    await app.register(
      fastifyWebhooks(inbox, { path: source.route, source: name }) as WebhookPlugin,
    )
  }
}
