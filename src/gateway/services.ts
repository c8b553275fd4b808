import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { createRedactor, type Redactor } from '../credentials/index.js'
import { createJobs, type Jobs, type WorkerOptions } from '../jobs/index.js'
import type { InboxListing, Store } from '../stores/index.js'
import { systemClock, type Clock } from '../time/index.js'
import type { WebhookInbox } from '../webhooks/index.js'
import type { GatewayConfig } from './config-schema.js'
import { createAuthThrottle, type AuthThrottle } from './auth-throttle.js'
import { eventTypeReader, gatewayInbox } from './inbox.js'
import { createLimits, type GatewayLimits } from './limits.js'
import { openGatewayStore } from './open-store.js'
import { createRegistry } from './metrics.js'
import { createConnections, type GatewayConnections } from './oauth-connections.js'
import { scheduleReconciliations } from './reconciliations.js'
import { openRedis, type GatewayRedis } from './redis.js'
import { readSecrets, type Env, type GatewaySecrets } from './secrets.js'

/** What the gateway's route families share, opened once and decorated onto the Fastify root. */
export interface GatewayServices {
  readonly config: GatewayConfig
  readonly env: Env
  readonly clock: Clock
  readonly redactor: Redactor
  readonly secrets: GatewaySecrets
  readonly store: Store
  readonly jobs: Jobs
  readonly inbox: WebhookInbox
  /** OAuth connections, when a provider has `oauth`. */
  readonly connections: GatewayConnections | undefined
  readonly limits: GatewayLimits
  /** Redis, when configured: its connection's comings and goings. */
  readonly redis: Pick<GatewayRedis, 'events'> | undefined
  readonly registry: Registry
  /** The admin API token, or undefined when the admin API is off. */
  readonly adminToken: string | undefined
  /** Wrong admin tokens counted per client address, on the API and the dashboard's login. */
  readonly authThrottle: AuthThrottle
  /** An event's type, read from its stored body. */
  readonly typeOf: (event: InboxListing) => string
}

export interface ServicesOptions {
  /** Where `secrets` and the other variable names of the configuration are read. Default `process.env`. */
  env?: Env
  clock?: Clock
  /** A store already open; by default the configuration's `store` is opened (and closed). */
  store?: Store
  /**
   * The admin API token; by default read from the variable `admin.tokenEnv` names. Without
   * one the admin API answers 503, unless `generateAdminToken` makes one.
   */
  adminToken?: string
  generateAdminToken?: boolean
  /** The job worker's tuning (poll interval, concurrency). */
  worker?: WorkerOptions
}

const decorator = 'seamline'

/** Hands the services to every family: once, on the root, before any family registers. */
export const decorateServices = (app: FastifyInstance, services: GatewayServices): void => {
  app.decorate(decorator, services)
}

/** The services, as a family reads them when it registers. */
export const servicesOf = (app: FastifyInstance): GatewayServices =>
  app.getDecorator<GatewayServices>(decorator)

/** What was opened, closed last-opened first; a start refused halfway closes what it opened. */
function closeStack() {
  const closers: (() => Promise<void>)[] = []
  return {
    defer: (close: () => Promise<void>) => void closers.push(close),
    close: async (): Promise<void> => {
      for (const close of closers.splice(0).reverse()) await close()
    },
  }
}

/**
 * Reads every secret, then opens the store, Redis, reconciliations, OAuth connections and jobs.
 * `close()` stops them in this order: jobs, connections, reconcile modules, Redis, store.
 */
export async function openServices(
  config: GatewayConfig,
  options: ServicesOptions = {},
): Promise<GatewayServices & { close(): Promise<void> }> {
  const env = options.env ?? process.env
  const clock = options.clock ?? systemClock
  const redactor = createRedactor()
  const secrets = await readSecrets(config, env, redactor, options)
  const stack = closeStack()
  try {
    const store = options.store ?? (await openGatewayStore(config.store, redactor))
    if (!options.store) stack.defer(() => store.close())
    const redis = config.redis === undefined ? undefined : await openRedis(config.redis, redactor)
    if (redis) stack.defer(() => redis.close())
    const jobs = createJobs({ store, clock, ...(options.worker && { worker: options.worker }) })
    const reconciliations = await scheduleReconciliations(config, jobs, store)
    stack.defer(() => reconciliations.close())
    const connections = createConnections({ config, env, store, clock, redactor })
    if (connections) stack.defer(() => connections.close())
    stack.defer(() => jobs.stop({ timeoutMs: 10_000 }))
    const registry = createRegistry()
    return {
      config,
      env,
      clock,
      redactor,
      secrets,
      store,
      jobs,
      inbox: gatewayInbox(config, secrets, { store, jobs, clock }),
      connections,
      limits: createLimits(registry, clock, redis?.store),
      redis,
      registry,
      adminToken: secrets.adminToken,
      authThrottle: createAuthThrottle({ clock, registry }),
      typeOf: eventTypeReader(config),
      close: stack.close,
    }
  } catch (error) {
    await stack.close()
    throw error
  }
}
