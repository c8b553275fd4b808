import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Jobs } from '../jobs/index.js'
import { adminRoutes } from './admin/index.js'
import { connectionRoutes } from './connections/index.js'
import { egressRoutes } from './egress/index.js'
import { healthRoutes } from './health/index.js'
import { loggerOptions, type LogOptions } from './logger.js'
import { counter, gauge } from './metrics.js'
import { errorHandler } from './refusals.js'
import { decorateServices, type GatewayServices } from './services.js'
import { loadTracer, traceGateway } from './tracing.js'
import { uiRoutes, type UiOptions } from './ui/index.js'
import { webhookRoutes } from './webhooks/index.js'

export interface AppOptions {
  log?: LogOptions
  /** The dashboard's tuning. */
  dashboard?: UiOptions
}

/** Every request answered, by method, route (never the raw URL) and status. */
function countRequests(app: FastifyInstance, { registry }: GatewayServices): void {
  const requests = counter(
    registry,
    'seamline_http_requests_total',
    'HTTP requests answered by the gateway.',
    ['method', 'route', 'status'],
  )
  app.addHook('onResponse', async (request, reply) => {
    requests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    })
  })
}

/** Every request answered, at debug level: its method, route, status and time. */
function logRequests(app: FastifyInstance): void {
  if (!['debug', 'trace'].includes(app.log.level)) return
  app.addHook('onResponse', (request, reply, done) => {
    // `req` goes through the serializer that keeps an OAuth grant out of the URL.
    request.log.debug(
      { req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    )
    done()
  })
}

/** What no family owns in the jobs' life: dead letters and worker failures, logged. */
function logJobs(app: FastifyInstance, jobs: Jobs): void {
  jobs.events.on('job:dead', ({ name, id, reason }) => {
    app.log.warn({ job: id, name, reason }, 'job is a dead letter')
  })
  jobs.events.on('worker:error', ({ operation, error }) => {
    app.log.error({ operation, err: error }, 'job worker step failed')
  })
}

/**
 * Redis coming and going: shared rate limits fall back to each process's own count while it is
 * away, which the log says once per outage and `seamline_redis_up` shows.
 */
function observeRedis(app: FastifyInstance, { redis, registry }: GatewayServices): void {
  if (!redis) return
  const up = gauge(registry, 'seamline_redis_up', '1 while Redis answers, else 0.', [])
  up.set(1)
  redis.events.on('redis:down', ({ error }) => {
    up.set(0)
    app.log.warn(
      { error },
      'Redis does not answer: rate limits are counted per process until it is back',
    )
  })
  redis.events.on('redis:up', () => {
    up.set(1)
    app.log.info('Redis answers again: rate limits are shared through it')
  })
}

/**
 * A family as it is registered: one that throws while registering refuses the start, since
 * Fastify passes on only a rejection.
 */
const family =
  <O>(plugin: (app: FastifyInstance, options: O) => Promise<void>) =>
  async (app: FastifyInstance, options: O): Promise<void> => {
    await plugin(app, options)
  }

/**
 * The gateway's Fastify root: the services decorated once, the root hooks (tracing, request
 * counts), one error handler, then one encapsulated plugin per route family. Ready to listen.
 */
export async function buildApp(
  services: GatewayServices,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const { config, redactor, jobs } = services
  const { timeouts, maxConnections, trustProxy } = config.server
  const app = Fastify({
    logger: loggerOptions(redactor, { level: config.logLevel, ...options.log }),
    forceCloseConnections: true,
    trustProxy,
    // Each request is logged at debug (`logRequests`): at info a terminal would show only them.
    logController: new LogController({ disableRequestLogging: true }),
    // A client that trickles its headers or body, or idles on a kept-alive connection, is
    // closed: slow clients cannot pin sockets and buffers. Node checks every second.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.idleMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: 1_000 },
  })
  app.server.maxConnections = maxConnections
  try {
    decorateServices(app, services)
    app.setErrorHandler(errorHandler(redactor))
    const tracer = await loadTracer()
    if (tracer) traceGateway(tracer, app, jobs)
    countRequests(app, services)
    logRequests(app)
    observeRedis(app, services)
    logJobs(app, jobs)

    await app.register(family(healthRoutes))
    await app.register(family(webhookRoutes))
    await app.register(family(egressRoutes))
    await app.register(family(connectionRoutes))
    await app.register(family(adminRoutes), { prefix: '/api' })
    await app.register(family(uiRoutes), { prefix: '/ui', ...options.dashboard })
    await app.ready()
    return app
  } catch (error) {
    await app.close()
    throw error
  }
}
