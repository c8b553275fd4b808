import type { FastifyInstance } from 'fastify'
import { servicesOf } from '../services.js'
import { storeGauges } from './store-gauges.js'

/** `/healthz` (the process answers), `/readyz` (the store answers) and `/metrics` (Prometheus). */
export function healthRoutes(app: FastifyInstance): Promise<void> {
  const { store, registry, clock } = servicesOf(app)
  storeGauges(registry, store, clock)

  app.get('/healthz', () => Promise.resolve({ status: 'ok' }))
  app.get('/readyz', async (request, reply) => {
    try {
      // A primary-key read: answered by any store that is up, whatever it holds.
      await store.jobs.get('0')
      return { status: 'ready' }
    } catch (error) {
      request.log.error({ err: error }, 'store is not answering')
      return reply.code(503).send({ status: 'unavailable', reason: 'the store does not answer' })
    }
  })
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics()
    return reply.header('content-type', registry.contentType).send(text)
  })
  return Promise.resolve()
}
