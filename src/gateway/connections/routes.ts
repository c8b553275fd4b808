import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { isSeamlineError } from '../../errors/index.js'
import type { ConnectionRef } from '../../oauth/index.js'
import type { GatewayConnections } from '../oauth-connections.js'
import { parse, refuse, statusOfCode } from '../refusals.js'
import { html } from '../html.js'

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
  const { manager } = connections
  // The connection's provider has `oauth`, else the request is refused (and undefined returned).
  const refOrRefuse = (request: FastifyRequest, reply: FastifyReply): ConnectionRef | undefined => {
    const ref = refOf(request)
    if (connections.has(ref.provider)) return ref
    void refuse(reply, {
      status: 404,
      error: 'unknown_provider',
      message: `provider ${ref.provider} has no oauth configured`,
    })
    return undefined
  }
  const missing = (reply: FastifyReply, ref: ConnectionRef) =>
    refuse(reply, {
      status: 404,
      error: 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND',
      message: `no connection ${ref.provider}/${ref.connectionId}`,
    })

  app.post('/:provider/:id/authorize', async (request, reply) => {
    const ref = refOrRefuse(request, reply)
    if (!ref) return reply
    const { returnTo } = parse(authorizeBody, request.body ?? undefined)
    const url = connections.authorizeUrl(ref, {
      callbackUrl: callbackUrl(request, ref.provider),
      ...(returnTo !== undefined && { returnTo }),
    })
    return { url }
  })
  app.get('/:provider/:id', async (request, reply) => {
    const ref = refOrRefuse(request, reply)
    if (!ref) return reply
    return (await manager.status(ref)) ?? missing(reply, ref)
  })
  app.post('/:provider/:id/refresh', async (request, reply) => {
    const ref = refOrRefuse(request, reply)
    if (!ref) return reply
    if (!(await manager.status(ref))) return missing(reply, ref)
    await manager.refresh(ref)
    return manager.status(ref)
  })
  app.delete('/:provider/:id', async (request, reply) => {
    const ref = refOrRefuse(request, reply)
    if (!ref) return reply
    return { removed: await manager.disconnect(ref) }
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
export function oauthCallbackRoute(app: FastifyInstance, connections: GatewayConnections): void {
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
      const text = `Connected ${ref.provider} as ${ref.connectionId}. You may close this page.`
      return reply.type('text/html; charset=utf-8').send(page('Connected', text))
    } catch (error) {
      if (!isSeamlineError(error)) throw error
      request.log.warn({ provider, code: error.code }, 'OAuth authorization not completed')
      return reply
        .code(statusOfCode[error.code])
        .type('text/html; charset=utf-8')
        .send(page('Not connected', `Not connected (${error.code}): ${error.message}`))
    }
  })
}
