import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../admin-token.js'
import { counter } from '../metrics.js'
import { servicesOf } from '../services.js'
import { connectionAdminRoutes, oauthCallbackRoute } from './routes.js'

/**
 * OAuth connections: `GET /oauth/:provider/callback` ends an authorization, and the admin API's
 * `/api/connections/:provider/:id…` starts, reads, refreshes and removes connections. Each
 * refresh and each health change is counted and logged. Off without a provider with `oauth`.
 */
export async function connectionRoutes(app: FastifyInstance): Promise<void> {
  const { connections, registry, adminToken, authThrottle } = servicesOf(app)
  if (!connections) return
  const refreshes = counter(
    registry,
    'seamline_oauth_token_refreshes_total',
    'OAuth token refreshes made by this process, by why they ran (expiry, unauthorized, keep-alive, forced) and outcome (refreshed, or the failure kind).',
    ['provider', 'reason', 'outcome'],
  )
  const { events } = connections.manager
  events.on('oauth:refreshed', ({ provider, connectionId, reason }) => {
    refreshes.inc({ provider, reason, outcome: 'refreshed' })
    app.log.info({ provider, connectionId, reason }, 'OAuth token refreshed')
  })
  events.on('oauth:refresh-failed', ({ provider, connectionId, reason, kind, code }) => {
    refreshes.inc({ provider, reason, outcome: kind })
    app.log.warn({ provider, connectionId, code }, 'OAuth token refresh failed')
  })
  events.on('oauth:state', (alert) => app.log.warn({ alert }, 'OAuth connection health changed'))

  await app.register((oauth) => Promise.resolve(oauthCallbackRoute(oauth, connections)), {
    prefix: '/oauth',
  })
  if (adminToken === undefined) return
  await app.register(
    (api) => {
      api.addHook('onRequest', requireAdminToken(adminToken, authThrottle))
      return Promise.resolve(connectionAdminRoutes(api, connections))
    },
    { prefix: '/api/connections' },
  )
}
