import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BadRequest, parse, refuse } from '../refusals.js'
import type { GatewayServices } from '../services.js'
import { bulkBody, deadQuery, jobQuery, replayBody, toFilter } from './queries.js'

const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id

/** `/api/jobs` and `/api/dead-letters`: read jobs, replay or discard dead letters. */
export function jobRoutes(app: FastifyInstance, { store, jobs, redactor }: GatewayServices): void {
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
    const job = await store.jobs.get(idOf(request))
    if (!job) return refuse(reply, { status: 404, error: 'not_found', message: 'no such job' })
    return redactor.redactValue(job)
  })

  app.get('/dead-letters', async (request) => {
    const { afterId, limit, ...filter } = parse(deadQuery, request.query)
    const letters = await jobs.deadLetters.list({
      ...toFilter(filter),
      limit,
      ...(afterId !== undefined && { afterId }),
    })
    return {
      deadLetters: redactor.redactValue(letters),
      total: await jobs.deadLetters.count(toFilter(filter)),
    }
  })

  app.get('/dead-letters/:id', async (request) =>
    redactor.redactValue(await jobs.deadLetters.get(idOf(request))),
  )

  app.post('/dead-letters/:id/replay', async (request) => {
    const id = idOf(request)
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
    const id = idOf(request)
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
}
