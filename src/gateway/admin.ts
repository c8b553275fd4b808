import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Redactor } from '../credentials/index.js'
import { isSeamlineError } from '../errors/index.js'
import type { DeadLetterFilter, Jobs } from '../jobs/index.js'
import {
  deadReasons,
  jobStates,
  type InboxListing,
  type JobState,
  type Store,
} from '../stores/index.js'
import { eventsOf, type WebhookSchemeName } from '../webhooks/index.js'
import { storeReports } from '../reconcile/index.js'
import type { GatewayConfig } from './config-schema.js'
import type { GatewayConnections } from './connections.js'
import { connectionAdminRoutes, oauthStatus } from './oauth-routes.js'
import type { RateLimitGauge } from './rate-limits.js'

export interface AdminOptions {
  token: string
  config: GatewayConfig
  store: Store
  jobs: Jobs
  redactor: Redactor
  /** The limits the gateway calls through, with their use now. */
  rateLimits?: () => Promise<RateLimitGauge[]>
  /** OAuth connections, when a provider has `oauth`. */
  connections?: GatewayConnections
}

// Digests have one length, so the comparison takes the same time whatever the guess.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/** True when the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function hasAdminToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  const given = match?.[1] ?? ''
  return timingSafeEqual(digest(given), digest(token)) && given !== ''
}

const limit = z.coerce.number().int().min(1).max(500).default(50)
const time = z.union([z.coerce.number().int(), z.iso.datetime().transform((v) => Date.parse(v))])

const eventQuery = z.strictObject({
  source: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  status: z.enum(jobStates as [JobState, ...JobState[]]).optional(),
  before: z.coerce.number().int().optional(),
  limit,
})

const jobQuery = z.strictObject({
  state: z.enum(jobStates as [JobState, ...JobState[]]).optional(),
  name: z.string().min(1).optional(),
  afterId: z.string().min(1).optional(),
  limit,
})

const deadFilter = z.strictObject({
  name: z.string().min(1).optional(),
  reason: z.enum(deadReasons as [string, ...string[]]).optional(),
  error: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  since: time.optional(),
  until: time.optional(),
})

const deadQuery = deadFilter.extend({ afterId: z.string().min(1).optional(), limit })

const bulkBody = z.strictObject({
  filter: deadFilter.default({}),
  /** A bulk operation over every dead letter must say so. */
  all: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  limit: z.number().int().min(1).optional(),
  perSecond: z.number().positive().optional(),
  renewIdempotencyKey: z.boolean().default(false),
})

const connectionQuery = z.strictObject({ limit })
const reportQuery = z.strictObject({ name: z.string().min(1).optional(), limit })

const replayBody = z
  .strictObject({ renewIdempotencyKey: z.boolean().default(false), payload: z.unknown() })
  .partial()
  .default({})

class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super('bad request')
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  throw new BadRequest(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  )
}

const toFilter = (filter: z.output<typeof deadFilter>): DeadLetterFilter =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined))

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

/** Mounts the token-protected admin API under `/api`. */
export function adminRoutes(options: AdminOptions) {
  const { token, config, store, jobs, redactor } = options
  const sources = config.webhooks.sources
  const typeOf = eventTypeReader(config)
  const eventView = (event: InboxListing, withBody: boolean) => ({
    source: event.source,
    id: event.eventId,
    type: typeOf(event),
    receivedAt: new Date(event.receivedAt).toISOString(),
    jobId: event.jobId,
    status: event.jobState,
    attempts: event.jobAttempts,
    ...(withBody && {
      headers: redactor.redactValue(event.headers),
      body: redactor.redact(Buffer.from(event.body).toString('utf8')),
    }),
  })

  return (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!hasAdminToken(request.headers.authorization, token)) {
        await reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="seamline"')
          .send({ error: 'unauthorized', message: 'send Authorization: Bearer <admin token>' })
      }
    })
    app.setErrorHandler(async (error: unknown, _request, reply) => {
      if (error instanceof BadRequest) {
        return reply.code(400).send({ error: 'bad_request', problems: error.problems })
      }
      if (isSeamlineError(error)) {
        const status =
          oauthStatus(error.code) ??
          (error.code === 'SEAM_ERR_JOB_NOT_FOUND'
            ? 404
            : error.code === 'SEAM_ERR_JOB_CONFLICT'
              ? 409
              : error.code === 'SEAM_ERR_INVALID_ARGUMENT'
                ? 400
                : 500)
        return reply
          .code(status)
          .send({ error: error.code, message: redactor.redact(error.message) })
      }
      const status = (error as { statusCode?: number }).statusCode
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return reply.code(status).send({ error: 'bad_request', message: (error as Error).message })
      }
      throw error
    })

    app.get('/sources', () => ({
      sources: Object.entries(sources).map(([name, source]) => ({
        name,
        provider: source.provider,
        routes: [`/webhooks/${name}`, ...(source.route ? [source.route] : [])],
        destination: {
          url: source.destination.url,
          timeoutMs: source.destination.timeoutMs,
          ...(source.destination.rateLimit && { rateLimit: source.destination.rateLimit }),
          ...(source.destination.concurrency && { concurrency: source.destination.concurrency }),
        },
        ...(source.orderingKey && { orderingKey: source.orderingKey }),
        secrets: source.secrets.length,
      })),
    }))

    app.get('/events', async (request) => {
      const query = parse(eventQuery, request.query)
      // The type is read from each stored body, so it narrows the page the store returned; the
      // store is asked for more rows when filtering by type.
      const found = await store.inbox.list({
        ...(query.source !== undefined && { source: query.source }),
        ...(query.id !== undefined && { eventId: query.id }),
        ...(query.status !== undefined && { state: query.status }),
        ...(query.before !== undefined && { before: query.before }),
        limit: query.type === undefined ? query.limit : 500,
      })
      const matching = found
        .filter((event) => query.type === undefined || typeOf(event) === query.type)
        .slice(0, query.limit)
      const last = matching.at(-1)
      return {
        events: matching.map((event) => eventView(event, false)),
        ...(last && matching.length === query.limit && { nextBefore: last.receivedAt }),
      }
    })

    app.get('/events/:source/:id', async (request, reply) => {
      const { source, id } = request.params as { source: string; id: string }
      const [event] = await store.inbox.list({ source, eventId: id, limit: 1 })
      if (!event) return reply.code(404).send({ error: 'not_found', message: 'no such event' })
      return eventView(event, true)
    })

    app.get('/jobs', async (request) => {
      const query = parse(jobQuery, request.query)
      const found = await store.jobs.list({
        ...(query.state !== undefined && { state: query.state }),
        ...(query.name !== undefined && { name: query.name }),
        ...(query.afterId !== undefined && { afterId: query.afterId }),
        limit: query.limit,
      })
      return { jobs: redactor.redactValue(found) }
    })

    app.get('/jobs/:id', async (request, reply) => {
      const job = await store.jobs.get((request.params as { id: string }).id)
      if (!job) return reply.code(404).send({ error: 'not_found', message: 'no such job' })
      return redactor.redactValue(job)
    })

    app.get('/dead-letters', async (request) => {
      const { afterId, limit: take, ...filter } = parse(deadQuery, request.query)
      const letters = await jobs.deadLetters.list({
        ...toFilter(filter),
        limit: take,
        ...(afterId !== undefined && { afterId }),
      })
      return {
        deadLetters: redactor.redactValue(letters),
        total: await jobs.deadLetters.count(toFilter(filter)),
      }
    })

    app.get('/dead-letters/:id', async (request) =>
      redactor.redactValue(await jobs.deadLetters.get((request.params as { id: string }).id)),
    )

    app.post('/dead-letters/:id/replay', async (request) => {
      const id = (request.params as { id: string }).id
      const body = parse(replayBody, request.body)
      await jobs.deadLetters.replay(id, {
        ...(body.renewIdempotencyKey !== undefined && {
          renewIdempotencyKey: body.renewIdempotencyKey,
        }),
        ...(body.payload !== undefined && { payload: body.payload }),
      })
      return { replayed: id }
    })

    app.post('/dead-letters/:id/discard', async (request) => {
      const id = (request.params as { id: string }).id
      await jobs.deadLetters.discard(id)
      return { discarded: id }
    })

    const bulk = (request: FastifyRequest) => {
      const body = parse(bulkBody, request.body)
      const filter = toFilter(body.filter)
      if (Object.keys(filter).length === 0 && !body.all) {
        throw new BadRequest(['filter: give a filter, or all: true to take every dead letter'])
      }
      return { body, filter }
    }

    app.post('/dead-letters/replay', async (request) => {
      const { body, filter } = bulk(request)
      return jobs.deadLetters.replayMany(filter, {
        dryRun: body.dryRun,
        renewIdempotencyKey: body.renewIdempotencyKey,
        ...(body.limit !== undefined && { limit: body.limit }),
        ...(body.perSecond !== undefined && { perSecond: body.perSecond }),
      })
    })

    app.post('/dead-letters/discard', async (request) => {
      const { body, filter } = bulk(request)
      return jobs.deadLetters.discardMany(filter, { dryRun: body.dryRun })
    })

    // Token health only: the sealed tokens themselves never leave the store.
    app.get('/connections', async (request) => {
      const { limit: take } = parse(connectionQuery, request.query)
      const found = await store.tokens.list({ limit: take })
      return {
        connections: found.map((c) => ({
          provider: c.provider,
          connectionId: c.connectionId,
          state: c.state,
          expiresAt: c.expiresAt,
          refreshedAt: c.refreshedAt,
          lastError: redactor.redactValue(c.lastError),
          generation: c.generation,
          updatedAt: c.updatedAt,
        })),
      }
    })

    if (options.connections) connectionAdminRoutes(app, options.connections)

    app.get('/rate-limits', async () => ({ rateLimits: (await options.rateLimits?.()) ?? [] }))

    app.get('/reports', async (request) => {
      const query = parse(reportQuery, request.query)
      return {
        reports: await storeReports(store).list({
          ...(query.name !== undefined && { name: query.name }),
          limit: query.limit,
        }),
      }
    })

    app.get('/reports/:id', async (request, reply) => {
      const report = await storeReports(store).get((request.params as { id: string }).id)
      if (!report) return reply.code(404).send({ error: 'not_found', message: 'no such report' })
      return redactor.redactValue(report)
    })
    return Promise.resolve()
  }
}
