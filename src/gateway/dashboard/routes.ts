import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import type { Redactor } from '../../credentials/index.js'
import type { Jobs } from '../../jobs/index.js'
import { storeReports } from '../../reconcile/index.js'
import type { InboxListing, Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'
import { hasAdminToken } from '../admin.js'
import type { RateLimitGauge } from '../rate-limits.js'
import { asset } from './assets.js'
import {
  cards,
  connectionsTable,
  deadLettersTable,
  eventsTable,
  rateLimitGauges,
  reportsTable,
} from './fragments.js'
import { html, type Safe } from './html.js'
import { loginPage, page } from './layout.js'
import { createSeries, metricTotal } from './series.js'
import { hasSession, sessionClearCookie, sessionSetCookie, sessionValue } from './session.js'

export interface DashboardOptions {
  token: string
  store: Store
  jobs: Jobs
  registry: Registry
  clock: Clock
  redactor: Redactor
  /** An event's type, read from its stored body. */
  typeOf: (event: InboxListing) => string
  /** The rate limits to show as gauges; none by default. */
  rateLimits?: () => Promise<RateLimitGauge[]>
  /** How often the overview's plots take a sample. Default 5 s. */
  sampleMs?: number
}

const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

const open = (url: string): boolean => url === '/ui/login' || url.startsWith('/ui/assets/')

/** A panel that reloads itself from `fragment` every `seconds`. */
const live = (id: string, fragment: string, seconds: number, first: Safe): Safe =>
  html`<div id="${id}" hx-get="${fragment}" hx-trigger="every ${seconds}s" hx-swap="innerHTML">
    ${first}
  </div>`

/**
 * The dashboard under `/ui`: server-rendered HTML, htmx for live panels and actions, uPlot for
 * plots. A login with the admin token sets an HttpOnly, SameSite=Strict session cookie; every
 * action is a POST that must come from htmx (a header no other site can send), so a page
 * elsewhere cannot act with the cookie.
 */
export function dashboardRoutes(options: DashboardOptions) {
  const { token, store, jobs, registry, clock, redactor, typeOf } = options
  const session = sessionValue(token)
  const series = createSeries({
    registry,
    store,
    clock,
    ...(options.sampleMs !== undefined && { sampleMs: options.sampleMs }),
  })

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
  const deadLettersNow = async (notice?: string) =>
    deadLettersTable(await jobs.deadLetters.list({ limit: 100 }), notice && redactor.redact(notice))

  const send = (reply: FastifyReply, markup: string | Safe) =>
    reply.headers(securityHeaders).type('text/html; charset=utf-8').send(String(markup))

  const plugin = (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4_096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    )
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const url = request.url.split('?')[0] ?? ''
      if (open(url) || url === '/ui/logout') return
      if (!hasSession(request.headers.cookie, session)) {
        if (request.method === 'GET') return reply.redirect('/ui/login', 303)
        return reply.code(401).send({ error: 'unauthorized', message: 'log in at /ui/login' })
      }
      if (request.method === 'POST' && request.headers['hx-request'] !== 'true') {
        return reply
          .code(403)
          .send({ error: 'forbidden', message: 'actions come from the dashboard' })
      }
    })
    app.addHook('onClose', () => series.stop())
    series.start()

    app.get('/assets/:name', async (request, reply) => {
      const found = await asset((request.params as { name: string }).name)
      if (!found) return reply.code(404).send({ error: 'not_found' })
      return reply
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .type(found.type)
        .send(found.body)
    })
    app.get('/login', (_request, reply) => send(reply, loginPage(false)))
    app.post('/login', async (request, reply) => {
      const given = (request.body as Record<string, string> | undefined)?.token ?? ''
      if (!hasAdminToken(`Bearer ${given}`, token)) return send(reply.code(401), loginPage(true))
      return reply
        .header('set-cookie', sessionSetCookie(session, request.protocol === 'https'))
        .redirect('/ui', 303)
    })
    app.post('/logout', (_request, reply) =>
      reply.header('set-cookie', sessionClearCookie).redirect('/ui/login', 303),
    )

    app.get('/', async (_request, reply) =>
      send(
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
    app.get('/fragments/cards', async (_request, reply) => send(reply, await cardsNow()))

    app.get('/events', async (_request, reply) =>
      send(
        reply,
        page('Events', '/ui/events', live('events', '/ui/fragments/events', 2, await eventsNow())),
      ),
    )
    app.get('/fragments/events', async (_request, reply) => send(reply, await eventsNow()))

    app.get('/dead-letters', async (_request, reply) =>
      send(
        reply,
        page(
          'Dead letters',
          '/ui/dead-letters',
          html`<div id="dead-letters">${await deadLettersNow()}</div>`,
        ),
      ),
    )
    app.get('/fragments/dead-letters', async (_request, reply) =>
      send(reply, await deadLettersNow()),
    )
    app.post('/dead-letters/:id/replay', async (request, reply) => {
      const { id } = request.params as { id: string }
      const notice = await jobs.deadLetters.replay(id).then(
        () => `Job ${id} replayed: it runs again with its idempotency key kept.`,
        (error: unknown) => `Job ${id} was not replayed: ${(error as Error).message}`,
      )
      return send(reply, await deadLettersNow(notice))
    })
    app.post('/dead-letters/:id/discard', async (request, reply) => {
      const { id } = request.params as { id: string }
      const notice = await jobs.deadLetters.discard(id).then(
        () => `Job ${id} discarded.`,
        (error: unknown) => `Job ${id} was not discarded: ${(error as Error).message}`,
      )
      return send(reply, await deadLettersNow(notice))
    })
    app.post('/dead-letters/replay', async (_request, reply) => {
      // Paced, and bounded per click, so a click never becomes a storm against a provider.
      const result = await jobs.deadLetters.replayMany({}, { perSecond: 100, limit: 1_000 })
      return send(
        reply,
        await deadLettersNow(
          `Replayed ${result.replayed} of ${result.matched}` +
            (result.skipped > 0 ? `; ${result.skipped} left: a newer job holds their key.` : '.'),
        ),
      )
    })

    app.get('/rate-limits', async (_request, reply) =>
      send(
        reply,
        page(
          'Rate limits',
          '/ui/rate-limits',
          live(
            'rate-limits',
            '/ui/fragments/rate-limits',
            2,
            rateLimitGauges((await options.rateLimits?.()) ?? []),
          ),
        ),
      ),
    )
    app.get('/fragments/rate-limits', async (_request, reply) =>
      send(reply, rateLimitGauges((await options.rateLimits?.()) ?? [])),
    )
    app.get('/connections', async (_request, reply) => {
      const connections = await store.tokens.list({ limit: 200 })
      const safe = connections.map((c) => ({
        ...c,
        lastError: c.lastError && { ...c.lastError, message: redactor.redact(c.lastError.message) },
      }))
      return send(reply, page('Connections', '/ui/connections', connectionsTable(safe)))
    })
    app.get('/reconciliation', async (_request, reply) =>
      send(
        reply,
        page(
          'Reconciliation',
          '/ui/reconciliation',
          reportsTable(await storeReports(store).list({ limit: 50 })),
        ),
      ),
    )
    return Promise.resolve()
  }
  return { plugin, series }
}
