import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { isSeamlineError } from '../errors/index.js'
import type { ConnectionRef } from '../oauth/index.js'
import type { GatewayConnections } from './connections.js'
import { html } from './dashboard/html.js'

const statusOf: Record<string, number> = {
  SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND: 404,
  SEAM_ERR_OAUTH_REAUTH_REQUIRED: 409,
  SEAM_ERR_OAUTH_REFRESH_FAILED: 502,
  SEAM_ERR_OAUTH_STATE_INVALID: 400,
  SEAM_ERR_OAUTH_AUTHORIZATION_DENIED: 403,
  SEAM_ERR_OAUTH_TOKEN_REQUEST: 502,
}

/** The HTTP status of an OAuth error, for the routes below and the admin API. */
export const oauthStatus = (code: string): number | undefined => statusOf[code]

const refOf = (request: FastifyRequest): ConnectionRef => {
  const { provider, id } = request.params as { provider: string; id: string }
  return { provider, connectionId: id }
}

// Where the provider sends the user back: this gateway, as the request reached it.
const callbackUrl = (request: FastifyRequest, provider: string): string =>
  `${request.protocol}://${request.host}/oauth/${encodeURIComponent(provider)}/callback`

const authorizeBody = z
  .strictObject({ returnTo: z.url({ protocol: /^https?$/ }).optional() })
  .default({})

/**
 * Connections in the admin API (`/api/connections/:provider/:id…`): start an authorization,
 * read a connection's health, refresh it now, or remove it. Tokens never leave the store.
 */
export function connectionAdminRoutes(app: FastifyInstance, connections: GatewayConnections): void {
  const known = (reply: FastifyReply, provider: string): boolean => {
    if (connections.has(provider)) return true
    void reply
      .code(404)
      .send({ error: 'unknown_provider', message: `provider ${provider} has no oauth configured` })
    return false
  }
  app.post('/connections/:provider/:id/authorize', async (request, reply) => {
    const ref = refOf(request)
    if (!known(reply, ref.provider)) return reply
    const parsed = authorizeBody.safeParse(request.body ?? undefined)
    if (!parsed.success) {
      return reply.code(400).send({
        error: 'bad_request',
        problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      })
    }
    const url = connections.authorizeUrl(ref, {
      callbackUrl: callbackUrl(request, ref.provider),
      ...(parsed.data.returnTo !== undefined && { returnTo: parsed.data.returnTo }),
    })
    return { url }
  })
  app.get('/connections/:provider/:id', async (request, reply) => {
    const ref = refOf(request)
    if (!known(reply, ref.provider)) return reply
    const status = await connections.manager.status(ref)
    if (!status) {
      return reply.code(404).send({
        error: 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND',
        message: `no connection ${ref.provider}/${ref.connectionId}`,
      })
    }
    return status
  })
  app.post('/connections/:provider/:id/refresh', async (request, reply) => {
    const ref = refOf(request)
    if (!known(reply, ref.provider)) return reply
    await connections.manager.refresh(ref)
    return connections.manager.status(ref)
  })
  app.delete('/connections/:provider/:id', async (request, reply) => {
    const ref = refOf(request)
    if (!known(reply, ref.provider)) return reply
    return { removed: await connections.manager.disconnect(ref) }
  })
}

// What the user's browser shows at the end of the flow: one sentence, every value escaped.
const page = (title: string, text: string): string =>
  html`<!doctype html><meta charset="utf-8" /><title>${title}</title>
    <p>${text}</p>`.value

/**
 * `GET /oauth/:provider/callback`: where the provider sends the user back. The state, sealed
 * by whichever gateway process began the authorization, says which connection it is for.
 */
export function oauthCallbackRoutes(connections: GatewayConnections) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/:provider/callback', async (request, reply) => {
      const { provider } = request.params as { provider: string }
      const query = request.query as Record<string, string | undefined>
      try {
        const { ref, returnTo } = await connections.complete(provider, {
          ...(query.code !== undefined && { code: query.code }),
          ...(query.state !== undefined && { state: query.state }),
          ...(query.error !== undefined && { error: query.error }),
        })
        if (returnTo !== undefined) {
          const next = new URL(returnTo)
          next.searchParams.set('provider', ref.provider)
          next.searchParams.set('connection', ref.connectionId)
          next.searchParams.set('status', 'connected')
          return reply.redirect(next.toString(), 303)
        }
        return reply
          .type('text/html; charset=utf-8')
          .send(
            page(
              'Connected',
              `Connected ${ref.provider} as ${ref.connectionId}. You may close this page.`,
            ),
          )
      } catch (error) {
        if (!isSeamlineError(error)) throw error
        request.log.warn({ provider, code: error.code }, 'OAuth authorization not completed')
        return reply
          .code(oauthStatus(error.code) ?? 400)
          .type('text/html; charset=utf-8')
          .send(page('Not connected', `Not connected (${error.code}): ${error.message}`))
      }
    })
    return Promise.resolve()
  }
}
