import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../admin-token.js'
import { refuse } from '../refusals.js'
import { servicesOf } from '../services.js'
import { eventRoutes } from './events.js'
import { jobRoutes } from './jobs.js'
import { statusRoutes } from './status.js'

/**
 * The admin API, registered under `/api`: every route needs `Authorization: Bearer <admin
 * token>`. Without a token configured, every `/api` route answers 503 saying how to turn it on.
 */
export function adminRoutes(app: FastifyInstance): Promise<void> {
  const services = servicesOf(app)
  const token = services.adminToken
  if (token === undefined) {
    app.all('/*', (_request, reply) =>
      refuse(reply, {
        status: 503,
        error: 'admin_api_off',
        message: `set ${services.config.admin.tokenEnv} to turn the admin API on`,
      }),
    )
    return Promise.resolve()
  }
  app.addHook('onRequest', requireAdminToken(token, services.authThrottle))
  eventRoutes(app, services)
  jobRoutes(app, services)
  statusRoutes(app, services)
  return Promise.resolve()
}
