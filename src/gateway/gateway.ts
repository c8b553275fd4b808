import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { createRedactor, fromEnv, loadCredentials, type Redactor } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { createJobs, type Jobs, type WorkerOptions } from '../jobs/index.js'
import type { Redis as IORedis } from 'ioredis'
import { redisQuotaStore, type Limiter, type QuotaStoreFactory } from '../limits/index.js'
import { openStore, type Store } from '../stores/index.js'
import { systemClock, type Clock } from '../time/index.js'
import {
  createWebhookInbox,
  fastifyWebhooks,
  type WebhookInbox,
  type WebhookSourceOptions,
} from '../webhooks/index.js'
import { adminRoutes, eventTypeReader } from './admin.js'
import { dashboardRoutes, type DashboardOptions } from './dashboard/routes.js'
import type { GatewayConfig } from './config-schema.js'
import { createConnections } from './connections.js'
import { createForwarder, valueAt } from './forward.js'
import { oauthCallbackRoutes } from './oauth-routes.js'
import { loggerOptions, type LogOptions } from './logger.js'
import { createProxy } from './proxy.js'
import { createAsyncCalls } from './proxy-async.js'
import { rateLimitGauges } from './rate-limits.js'
import { scheduleReconciliations } from './reconciliations.js'
import { resolveSecret } from './secrets.js'
import { loadTracer, traceGateway } from './tracing.js'
import { createMetrics, type GatewayMetrics } from './metrics.js'

const circuitValue = { closed: 0, 'half-open': 1, open: 2 } as const

export interface GatewayOptions {
  /** Where `secrets` and the other variable names of the configuration are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  clock?: Clock
  /** A store already open; by default the configuration's `store` is opened (and closed on stop). */
  store?: Store
  /**
   * The admin API token; by default read from the variable `admin.tokenEnv` names. Without
   * one the admin API answers 503, unless `generateAdminToken` makes one.
   */
  adminToken?: string
  generateAdminToken?: boolean
  log?: LogOptions
  /** The job worker's tuning (poll interval, concurrency). */
  worker?: WorkerOptions
  /** The dashboard's tuning, and what it shows beyond the gateway's own state. */
  dashboard?: Pick<DashboardOptions, 'sampleMs'>
}

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

/** Opens Redis only when configured: `ioredis` is loaded on demand. */
async function redisLimits(
  url: string,
): Promise<{ store: QuotaStoreFactory; close(): Promise<void> }> {
  let Redis: typeof IORedis
  try {
    Redis = (await import('ioredis')).Redis
  } catch (error) {
    throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
      operation: 'createGateway',
      target: 'redis',
      reason: 'needs the ioredis package: npm install ioredis',
      cause: error,
    })
  }
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 })
  return {
    store: redisQuotaStore({ redis: redis }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

/**
 * The gateway: webhooks in (verified, deduplicated, stored before the 2xx) and forwarded to the
 * app as durable jobs, the admin API, health and metrics. Build it, then `start()`.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const env = options.env ?? process.env
  const clock = options.clock ?? systemClock
  const redactor = createRedactor()

  const sources = config.webhooks.sources
  const resolved = Object.entries(sources).map(([name, source]) => ({
    name,
    source,
    secrets: source.secrets.map((variable, i) =>
      resolveSecret(env, variable, `webhooks.sources.${name}.secrets[${i}]`),
    ),
    destinationSecret: resolveSecret(
      env,
      source.destination.secret,
      `webhooks.sources.${name}.destination.secret`,
    ),
  }))
  for (const { secrets, destinationSecret } of resolved) {
    for (const secret of [...secrets, destinationSecret]) redactor.addSecret(secret)
  }
  // The proxy's credentials, checked against the profile (a live key outside production, or a
  // test key in it, refuses to start) and registered with the redactor.
  const credentialVariables: Record<string, string> = {}
  for (const [name, provider] of Object.entries(config.providers)) {
    const entries = Object.entries(provider.credentials ?? {})
    const chosen = provider.credentials?.apiKey ?? provider.credentials?.token ?? entries[0]?.[1]
    if (chosen !== undefined) credentialVariables[name] = chosen
  }
  const loaded = await loadCredentials({
    schema: Object.fromEntries(Object.values(credentialVariables).map((v) => [v, {}])),
    env,
    sources: [fromEnv(env)],
    redactor,
    ...(config.profile !== undefined && { profile: config.profile }),
  })
  const proxyCredentials = Object.fromEntries(
    Object.entries(credentialVariables).map(([name, variable]) => [
      name,
      (loaded.values as Record<string, string | undefined>)[variable],
    ]),
  )
  let adminToken = options.adminToken ?? env[config.admin.tokenEnv]
  if (!adminToken && options.generateAdminToken) {
    adminToken = `sl_admin_${randomBytes(24).toString('base64url')}`
  }
  if (adminToken) redactor.addSecret(adminToken)
  // What async proxy calls' callbacks are signed with, when callbacks are allowed.
  const callbackSecret =
    config.proxy.callbackSecret === undefined
      ? undefined
      : resolveSecret(env, config.proxy.callbackSecret, 'proxy.callbackSecret')
  if (callbackSecret !== undefined) redactor.addSecret(callbackSecret)

  const redis = config.redis === undefined ? undefined : await redisLimits(config.redis)
  const store = options.store ?? (await openStore(config.store))
  const ownsStore = options.store === undefined
  // A configuration refused past this point leaves nothing open behind it.
  const opened: (() => Promise<void>)[] = [async () => (ownsStore ? store.close() : undefined)]
  if (redis) opened.push(() => redis.close())
  const closeOnFailure = async <T>(work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work()
    } catch (error) {
      for (const close of opened.reverse()) await close()
      throw error
    }
  }
  const jobs = createJobs({ store, clock, ...(options.worker && { worker: options.worker }) })
  const metrics = createMetrics(store, clock)
  const connections = await closeOnFailure(() =>
    createConnections({
      config,
      env,
      store,
      clock,
      redactor,
      onAlert: (alert) => app.log.warn({ alert }, 'OAuth connection health changed'),
    }),
  )
  if (connections) opened.push(() => connections.close())

  const inboxSources: Record<string, WebhookSourceOptions> = {}
  for (const { name, source, secrets } of resolved) {
    const retry = source.destination.retry
    const orderingKey = source.orderingKey
    inboxSources[name] = {
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
  const inbox = createWebhookInbox({
    store,
    jobs,
    clock,
    sources: inboxSources,
    ...(config.webhooks.maxBodyBytes !== undefined && {
      maxBodyBytes: config.webhooks.maxBodyBytes,
    }),
    ...(config.webhooks.retentionMs !== undefined && { retentionMs: config.webhooks.retentionMs }),
  })

  // Every limiter the gateway calls through (providers, destinations), for the dashboard, and
  // its waits counted.
  const limiters = new Map<string, Limiter>()
  const watchLimiter = (subject: string, limiter: Limiter): void => {
    limiters.set(subject, limiter)
    limiter.events.on('limit:wait', ({ waitMs }) => {
      metrics.rateLimitWaits.inc({ subject })
      metrics.rateLimitWaitSeconds.inc({ subject }, waitMs / 1_000)
    })
  }
  const app = Fastify({
    logger: loggerOptions(redactor, { level: config.logLevel, ...options.log }),
    forceCloseConnections: true,
  })

  for (const { name, source, destinationSecret } of resolved) {
    inbox.on(
      name,
      createForwarder({
        source: name,
        destination: source.destination,
        secret: destinationSecret,
        clock,
        onLimiter: (limiter) => watchLimiter(`destination ${name}`, limiter),
        ...(redis && { limitStore: redis.store }),
        onAttempt: (attempt) => {
          metrics.deliveryAttempts.inc({
            source: name,
            status: attempt.status === undefined ? 'none' : String(attempt.status),
          })
          if (attempt.outcome !== 'failed')
            metrics.deliveries.inc({ source: name, outcome: attempt.outcome })
          app.log.info(
            {
              source: name,
              eventId: attempt.eventId,
              attempt: attempt.attempt,
              status: attempt.status,
            },
            `delivery ${attempt.outcome}`,
          )
        },
      }),
    )
  }
  const sourceOfJob = (job: string): string | undefined => {
    const name = job.startsWith('webhook:') ? job.slice('webhook:'.length) : undefined
    return name !== undefined && Object.hasOwn(sources, name) ? name : undefined
  }
  jobs.events.on('job:failed', ({ name }) => {
    const source = sourceOfJob(name)
    if (source !== undefined) metrics.deliveryRetries.inc({ source })
  })
  jobs.events.on('job:dead', ({ name, id, reason }) => {
    const source = sourceOfJob(name)
    if (source !== undefined && reason !== 'permanent') {
      metrics.deliveries.inc({ source, outcome: 'dead' })
    }
    app.log.warn({ job: id, name, reason }, 'job is a dead letter')
  })
  jobs.events.on('worker:error', ({ operation, error }) => {
    app.log.error({ operation, err: error }, 'job worker step failed')
  })
  inbox.events.on('webhook:received', ({ source, id, type }) => {
    metrics.webhooksReceived.inc({ source })
    app.log.info({ source, eventId: id, type }, 'webhook received')
  })
  inbox.events.on('webhook:duplicate', ({ source, id }) => {
    metrics.webhooksDuplicate.inc({ source })
    app.log.info({ source, eventId: id }, 'webhook duplicate acknowledged')
  })
  inbox.events.on('webhook:rejected', ({ source, reason }) => {
    metrics.webhookRejections.inc({ source, reason })
    app.log.warn({ source, reason }, 'webhook rejected')
  })
  inbox.events.on('webhook:store-failed', ({ source, error }) => {
    app.log.error({ source, err: error }, 'webhook could not be stored')
  })

  connections?.manager.events.on('oauth:refreshed', ({ provider, connectionId, reason }) => {
    metrics.tokenRefreshes.inc({ provider, reason, outcome: 'refreshed' })
    app.log.info({ provider, connectionId, reason }, 'OAuth token refreshed')
  })
  connections?.manager.events.on(
    'oauth:refresh-failed',
    ({ provider, connectionId, reason, kind, code }) => {
      metrics.tokenRefreshes.inc({ provider, reason, outcome: kind })
      app.log.warn({ provider, connectionId, code }, 'OAuth token refresh failed')
    },
  )
  if (connections) await app.register(oauthCallbackRoutes(connections), { prefix: '/oauth' })

  const tracer = await loadTracer()
  if (tracer) traceGateway(tracer, app, jobs)
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    })
  })

  app.get('/healthz', () => Promise.resolve({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    try {
      // A primary-key read: answered by any store that is up, whatever it holds.
      await store.jobs.get('0')
      return { status: 'ready' }
    } catch (error) {
      app.log.error({ err: error }, 'store is not answering')
      return reply.code(503).send({ status: 'unavailable', reason: 'the store does not answer' })
    }
  })
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics()
    return reply.header('content-type', metrics.registry.contentType).send(text)
  })

  // Each registration is its own scope: the plugin leaves bodies unparsed only inside it.
  await app.register(fastifyWebhooks(inbox) as unknown as (i: FastifyInstance) => Promise<void>)
  for (const { name, source } of resolved) {
    if (source.route === undefined) continue
    const plugin = fastifyWebhooks(inbox, { path: source.route, source: name })
    await app.register(plugin as never)
  }

  if (Object.keys(config.providers).length > 0) {
    const asyncCalls = createAsyncCalls({
      config,
      store,
      jobs,
      clock,
      redactor,
      ...(callbackSecret !== undefined && { callbackSecret }),
    })
    const proxy = await closeOnFailure(() =>
      createProxy({
        respondAsync: asyncCalls.accept,
        config,
        credentials: proxyCredentials,
        clock,
        redactor,
        ...(redis && { limitStore: redis.store }),
        ...(connections && { connections }),
        onClient: (provider, client, breaker) => {
          if (client.limiter) watchLimiter(provider, client.limiter)
          client.events.on('http:attempt', ({ status }) =>
            metrics.upstreamAttempts.inc({
              provider,
              status: status === undefined ? 'none' : String(status),
            }),
          )
          client.events.on('http:retry', () => metrics.upstreamRetries.inc({ provider }))
          metrics.circuitState.set({ provider }, 0)
          breaker.events.on('circuit:state', ({ to }) =>
            metrics.circuitState.set({ provider }, circuitValue[to]),
          )
        },
      }),
    )
    await app.register(proxy.routes, { prefix: '/proxy' })
    asyncCalls.define(proxy)
    await app.register(asyncCalls.routes)
  }

  if (adminToken) {
    await app.register(
      adminRoutes({
        token: adminToken,
        config,
        store,
        jobs,
        redactor,
        rateLimits: () => rateLimitGauges(limiters),
        ...(connections && { connections }),
      }),
      { prefix: '/api' },
    )
    const dashboard = dashboardRoutes({
      token: adminToken,
      store,
      jobs,
      registry: metrics.registry,
      clock,
      redactor,
      typeOf: eventTypeReader(config),
      rateLimits: () => rateLimitGauges(limiters),
      ...options.dashboard,
    })
    await app.register(dashboard.plugin, { prefix: '/ui' })
  } else {
    app.all('/api/*', (_request, reply) =>
      reply.code(503).send({
        error: 'admin_api_off',
        message: `set ${config.admin.tokenEnv} to turn the admin API on`,
      }),
    )
  }

  const reconciliations = await closeOnFailure(() => scheduleReconciliations(config, jobs, store))
  await app.ready()
  jobs.start()

  let stopping: Promise<void> | undefined
  return {
    app,
    config,
    store,
    jobs,
    inbox,
    metrics,
    redactor,
    adminToken,
    async start(port = config.server.port, host = config.server.host) {
      return app.listen({ port, host })
    },
    stop() {
      stopping ??= (async () => {
        await app.close()
        await jobs.stop({ timeoutMs: 10_000 })
        await connections?.close()
        await reconciliations.close()
        await redis?.close()
        if (ownsStore) await store.close()
      })()
      return stopping
    },
  }
}
