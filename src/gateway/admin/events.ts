import type { FastifyInstance } from 'fastify'
import type { InboxListing } from '../../stores/index.js'
import { parse, refuse } from '../refusals.js'
import type { GatewayServices } from '../services.js'
import { eventQuery } from './queries.js'

/** `/api/events`: the stored webhook events, newest first, and one event with its body. */
export function eventRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { store, redactor, typeOf } = services
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
    if (!event) return refuse(reply, { status: 404, error: 'not_found', message: 'no such event' })
    return eventView(event, true)
  })
}
