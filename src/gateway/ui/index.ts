import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasAdminToken } from '../admin-token.js'
import { refuse } from '../refusals.js'
import { servicesOf } from '../services.js'
import { asset } from './assets.js'
import { deadLetterPages } from './dead-letters.js'
import { loginPage } from './layout.js'
import { pages } from './pages.js'
import { sendHtml } from './respond.js'
import { createSeries } from './series.js'
import { sessionClearCookie, sessionSetCookie, storeSessions, type Sessions } from './session.js'

export interface UiOptions {
  /** How often the overview's plots take a sample. Default 5 s. */
  sampleMs?: number
}

const open = (url: string): boolean => url === '/ui/login' || url.startsWith('/ui/assets/')

/**
 * Pages need a session: a page is sent to the login, an action refused. Every POST (logout
 * included) must come from htmx, a header no other site can send, so a page elsewhere cannot act
 * with the cookie.
 */
function requireSession(sessions: Sessions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? ''
    if (open(url)) return
    if (!(await sessions.check(request.headers.cookie))) {
      if (request.method === 'GET') return reply.redirect('/ui/login', 303)
      return refuse(reply, { status: 401, error: 'unauthorized', message: 'log in at /ui/login' })
    }
    if (request.method === 'POST' && request.headers['hx-request'] !== 'true') {
      return refuse(reply, {
        status: 403,
        error: 'forbidden',
        message: 'actions come from the dashboard',
      })
    }
  }
}

/**
 * The dashboard, registered under `/ui`: server-rendered HTML, htmx for live panels and actions,
 * uPlot for plots. A login with the admin token opens a session in the store and sets an
 * HttpOnly, SameSite=Strict cookie naming it; every action (logout too) is a POST that must come
 * from htmx. Wrong tokens are throttled per address. Off without an admin token.
 */
export function uiRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const services = servicesOf(app)
  const token = services.adminToken
  if (token === undefined) return Promise.resolve()
  const sessions = storeSessions(services.store.leases, services.clock)
  const series = createSeries({
    registry: services.registry,
    store: services.store,
    clock: services.clock,
    ...(options.sampleMs !== undefined && { sampleMs: options.sampleMs }),
  })
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4_096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
  app.addHook('onRequest', requireSession(sessions))
  app.addHook('onClose', () => series.stop())
  series.start()

  app.get('/assets/:name', async (request, reply) => {
    const found = await asset((request.params as { name: string }).name)
    if (!found) return refuse(reply, { status: 404, error: 'not_found' })
    return reply
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .type(found.type)
      .send(found.body)
  })
  app.get('/login', (_request, reply) => sendHtml(reply, loginPage('fresh')))
  app.post('/login', async (request, reply) => {
    const waitMs = services.authThrottle.waitMs(request.ip, 'ui')
    if (waitMs > 0) {
      const retryAfter = String(Math.ceil(waitMs / 1_000))
      return sendHtml(reply.code(429).header('retry-after', retryAfter), loginPage('throttled'))
    }
    const given = (request.body as Record<string, string> | undefined)?.token ?? ''
    if (!hasAdminToken(`Bearer ${given}`, token)) {
      services.authThrottle.failed(request.ip, 'ui')
      return sendHtml(reply.code(401), loginPage('failed'))
    }
    return reply
      .header('set-cookie', sessionSetCookie(await sessions.open(), request.protocol === 'https'))
      .redirect('/ui', 303)
  })
  // htmx follows HX-Redirect; the session is over whatever the browser does with its cookie.
  app.post('/logout', async (request, reply) => {
    await sessions.close(request.headers.cookie)
    return reply
      .header('set-cookie', sessionClearCookie)
      .header('hx-redirect', '/ui/login')
      .code(204)
      .send()
  })
  pages(app, services, series)
  deadLetterPages(app, services)
  return Promise.resolve()
}
