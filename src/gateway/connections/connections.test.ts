import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { familyApp, fake, testServices } from '../../../test/helpers/gateway-services.js'
import { createEmitter } from '../../events/index.js'
import { SeamlineError } from '../../errors/index.js'
import type { OAuthEvents, TokenManager } from '../../oauth/index.js'
import type { GatewayConnections } from '../oauth-connections.js'
import { connectionRoutes } from './index.js'

const token = 'sl_admin_family-test-token'
const auth = { authorization: `Bearer ${token}` }

/** Connections of one provider, `xero`, whose only connection is `acme`. */
function fakeConnections() {
  const events = createEmitter<OAuthEvents>()
  const manager = fake<TokenManager>('manager', {
    events,
    status: async (ref) =>
      ref.connectionId === 'acme'
        ? ({ ...ref, state: 'healthy', generation: 1 } as Awaited<
            ReturnType<TokenManager['status']>
          >)
        : undefined,
  })
  const connections = fake<GatewayConnections>('connections', {
    manager,
    has: (provider: string) => provider === 'xero',
    complete: async (_provider, query) => {
      if (query.state !== 'good') {
        throw new SeamlineError('SEAM_ERR_OAUTH_STATE_INVALID', {
          operation: 'connect',
          target: 'OAuth state',
          reason: 'is not a state this gateway issued',
        })
      }
      return { ref: { provider: 'xero', connectionId: 'acme' } }
    },
  })
  return { connections, events }
}

describe('connections family', () => {
  let app: FastifyInstance | undefined
  afterEach(() => app?.close())

  it('registers nothing without a provider with oauth', async () => {
    app = await familyApp(connectionRoutes, testServices({ adminToken: token }))
    expect((await app.inject('/oauth/xero/callback?state=good')).statusCode).toBe(404)
  })

  it('completes an authorization at the callback, and refuses a bad state with its status', async () => {
    const { connections } = fakeConnections()
    app = await familyApp(connectionRoutes, testServices({ connections }))
    const done = await app.inject('/oauth/xero/callback?code=c&state=good')
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('Connected xero as acme')
    const forged = await app.inject('/oauth/xero/callback?code=c&state=<b>forged</b>')
    expect(forged.statusCode).toBe(400)
    expect(forged.body).toContain('SEAM_ERR_OAUTH_STATE_INVALID')
    // Without an admin token, the connections' admin routes are not there.
    expect(
      (await app.inject({ url: '/api/connections/xero/acme', headers: auth })).statusCode,
    ).toBe(404)
  })

  it('serves a connection behind the admin token; 404 for one never made or an unknown provider', async () => {
    const { connections } = fakeConnections()
    app = await familyApp(connectionRoutes, testServices({ connections, adminToken: token }))
    expect((await app.inject('/api/connections/xero/acme')).statusCode).toBe(401)
    const found = await app.inject({ url: '/api/connections/xero/acme', headers: auth })
    expect(found.json()).toMatchObject({ connectionId: 'acme', state: 'healthy' })
    const never = await app.inject({
      method: 'POST',
      url: '/api/connections/xero/nobody/refresh',
      headers: auth,
    })
    expect(never.statusCode).toBe(404)
    expect(never.json()).toMatchObject({ error: 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND' })
    const unknown = await app.inject({ url: '/api/connections/stripe/acme', headers: auth })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ error: 'unknown_provider' })
  })

  it("counts the token manager's refreshes by reason and outcome", async () => {
    const { connections, events } = fakeConnections()
    const services = testServices({ connections })
    app = await familyApp(connectionRoutes, services)
    const ref = { provider: 'xero', connectionId: 'acme' }
    events.emit('oauth:refreshed', {
      ...ref,
      reason: 'expiry',
      generation: 2,
      expiresAt: 0,
      rotated: true,
    })
    events.emit('oauth:refresh-failed', {
      ...ref,
      reason: 'keep-alive',
      kind: 'transient',
      code: 'SEAM_ERR_OAUTH_REFRESH_FAILED',
      message: 'the token endpoint answered 503',
    })
    const text = await services.registry.metrics()
    expect(text).toContain(
      'seamline_oauth_token_refreshes_total{provider="xero",reason="expiry",outcome="refreshed"} 1',
    )
    expect(text).toContain(
      'seamline_oauth_token_refreshes_total{provider="xero",reason="keep-alive",outcome="transient"} 1',
    )
  })
})
