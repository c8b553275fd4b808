import type { FastifyInstance } from 'fastify'
import { storeReports } from '../../reconcile/index.js'
import { html } from '../html.js'
import type { GatewayServices } from '../services.js'
import { cards, connectionsTable, eventsTable, rateLimitGauges, reportsTable } from './fragments.js'
import { page } from './layout.js'
import { live, sendHtml } from './respond.js'
import { metricTotal, type Series } from './series.js'

/** The overview, events, rate limits, connections and reconciliation pages, and their fragments. */
export function pages(app: FastifyInstance, services: GatewayServices, series: Series): void {
  const { store, registry, clock, redactor, typeOf, limits } = services
  const counterTotal = async (name: string) => (await metricTotal(registry, name)) ?? 0
  const cardsNow = async () =>
    cards(
      await store.jobs.counts(null, clock.now()),
      await counterTotal('seamline_webhooks_received_total'),
      await counterTotal('seamline_webhooks_duplicate_total'),
    )
  const eventsNow = async () =>
    eventsTable(
      (await store.inbox.list({ limit: 50 })).map((event) => ({ event, type: typeOf(event) })),
    )
  const gaugesNow = async () => rateLimitGauges(await limits.gauges())

  app.get('/', async (_request, reply) =>
    sendHtml(
      reply,
      page(
        'Overview',
        '/ui',
        html`${live('cards', '/ui/fragments/cards', 5, await cardsNow())}
          <div id="plots"></div>`,
      ),
    ),
  )
  app.get('/series.json', () => series.snapshot())
  app.get('/fragments/cards', async (_request, reply) => sendHtml(reply, await cardsNow()))

  app.get('/events', async (_request, reply) =>
    sendHtml(
      reply,
      page('Events', '/ui/events', live('events', '/ui/fragments/events', 2, await eventsNow())),
    ),
  )
  app.get('/fragments/events', async (_request, reply) => sendHtml(reply, await eventsNow()))

  app.get('/rate-limits', async (_request, reply) =>
    sendHtml(
      reply,
      page(
        'Rate limits',
        '/ui/rate-limits',
        live('rate-limits', '/ui/fragments/rate-limits', 2, await gaugesNow()),
      ),
    ),
  )
  app.get('/fragments/rate-limits', async (_request, reply) => sendHtml(reply, await gaugesNow()))

  app.get('/connections', async (_request, reply) => {
    const connections = await store.tokens.list({ limit: 200 })
    const safe = connections.map((c) => ({
      ...c,
      lastError: c.lastError && { ...c.lastError, message: redactor.redact(c.lastError.message) },
    }))
    return sendHtml(reply, page('Connections', '/ui/connections', connectionsTable(safe)))
  })
  app.get('/reconciliation', async (_request, reply) =>
    sendHtml(
      reply,
      page(
        'Reconciliation',
        '/ui/reconciliation',
        reportsTable(await storeReports(store).list({ limit: 50 })),
      ),
    ),
  )
}
