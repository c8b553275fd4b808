import type { FastifyInstance } from 'fastify'
import type { Redactor } from '../credentials/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Store } from '../stores/index.js'
import type { WebhookInbox } from '../webhooks/index.js'
import { buildApp, type AppOptions } from './app.js'
import type { GatewayConfig } from './config-schema.js'
import type { GatewayMetrics } from './metrics.js'
import { openServices, type ServicesOptions } from './services.js'

export interface GatewayOptions extends ServicesOptions, AppOptions {}

export interface Gateway {
  /** The Fastify instance: `gateway.app.inject(…)` exercises routes without a socket. */
  readonly app: FastifyInstance
  readonly config: GatewayConfig
  readonly store: Store
  readonly jobs: Jobs
  readonly inbox: WebhookInbox
  readonly metrics: GatewayMetrics
  readonly redactor: Redactor
  /** The admin API token, or undefined when the admin API is off. */
  readonly adminToken: string | undefined
  /** Listens; returns the URL it listens on (`port` 0 picks a free port). */
  start(port?: number, host?: string): Promise<string>
  /** Stops taking requests, lets running jobs finish (or hand back), closes the store. */
  stop(): Promise<void>
}

/**
 * The gateway: webhooks in (verified, deduplicated, stored before the 2xx) and forwarded to the
 * app as durable jobs, the egress proxy, the admin API, the dashboard, health and metrics. Build
 * it, then `start()`.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const services = await openServices(config, options)
  const app = await buildApp(services, options).catch(async (error: unknown) => {
    await services.close()
    throw error
  })
  services.jobs.start()
  let stopping: Promise<void> | undefined
  const { store, jobs, inbox, redactor, adminToken, registry } = services
  return {
    ...{ app, config, store, jobs, inbox, redactor, adminToken },
    metrics: { registry },
    start: (port = config.server.port, host = config.server.host) => app.listen({ port, host }),
    // The HTTP side first, then the services in their own order.
    stop: () => (stopping ??= app.close().then(() => services.close())),
  }
}
