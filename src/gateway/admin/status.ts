import type { FastifyInstance } from 'fastify'
import { storeReports } from '../../reconcile/index.js'
import { parse, refuse } from '../refusals.js'
import type { GatewayServices } from '../services.js'
import { connectionQuery, reportQuery } from './queries.js'

/** `/api/sources`, `/api/connections`, `/api/rate-limits`, `/api/reports`: what runs, and how. */
export function statusRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { config, store, redactor, limits } = services
  const reports = () => storeReports(store)

  app.get('/sources', () => ({
    sources: Object.entries(config.webhooks.sources).map(([name, source]) => ({
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

  // Token health only: the sealed tokens themselves never leave the store.
  app.get('/connections', async (request) => {
    const { limit } = parse(connectionQuery, request.query)
    const found = await store.tokens.list({ limit })
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

  app.get('/rate-limits', async () => ({ rateLimits: await limits.gauges() }))

  app.get('/reports', async (request) => {
    const query = parse(reportQuery, request.query)
    return {
      reports: await reports().list({
        ...(query.name !== undefined && { name: query.name }),
        limit: query.limit,
      }),
    }
  })

  app.get('/reports/:id', async (request, reply) => {
    const report = await reports().get((request.params as { id: string }).id)
    if (!report)
      return refuse(reply, { status: 404, error: 'not_found', message: 'no such report' })
    return redactor.redactValue(report)
  })
}
