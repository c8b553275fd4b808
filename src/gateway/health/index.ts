import type { FastifyInstance } from 'fastify'
import type { Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'
import { servicesOf } from '../services.js'
import { storeGauges } from './store-gauges.js'

// A store slower than this to answer one read is not ready, whatever it would say later.
const readyDeadlineMs = 2_000

/** Why the store is not ready (its error's code, or its silence), or undefined when it answers. */
async function storeProblem(store: Store, clock: Clock): Promise<string | undefined> {
  let cancel: (() => void) | undefined
  const silence = new Promise<string>((resolve) => {
    cancel = clock.after(readyDeadlineMs, () =>
      resolve(`the store did not answer within ${readyDeadlineMs} ms`),
    )
  })
  try {
    const answer = store.ping().then(
      () => undefined,
      (error: unknown) => `the store does not answer (${codeOf(error)})`,
    )
    return await Promise.race([answer, silence])
  } finally {
    cancel?.()
  }
}

// A driver's code (`ECONNREFUSED`, `SQLITE_ERROR`, `57P01`), else the error's name, never its
// message: this route is public.
const codeOf = (error: unknown): string => {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  const word = typeof code === 'string' ? code : name
  return typeof word === 'string' && /^[\w.-]{1,40}$/.test(word) ? word : 'error'
}

/** `/healthz` (the process answers), `/readyz` (the store answers one read, in time) and `/metrics` (Prometheus). */
export function healthRoutes(app: FastifyInstance): Promise<void> {
  const { store, registry, clock } = servicesOf(app)
  storeGauges(registry, store, clock)

  app.get('/healthz', () => Promise.resolve({ status: 'ok' }))
  app.get('/readyz', async (request, reply) => {
    const problem = await storeProblem(store, clock)
    if (problem === undefined) return { status: 'ready' }
    request.log.error({ reason: problem }, 'store is not answering')
    return reply.code(503).send({ status: 'unavailable', reason: problem })
  })
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics()
    return reply.header('content-type', registry.contentType).send(text)
  })
  return Promise.resolve()
}
