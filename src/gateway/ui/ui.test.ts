import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { familyApp, fake, testServices } from '../../../test/helpers/gateway-services.js'
import { sqliteStore, type Store } from '../../stores/index.js'
import { uiRoutes } from './index.js'

const token = 'sl_admin_family-test-token'

describe('ui family', () => {
  let app: FastifyInstance | undefined
  const sessionsStore = sqliteStore({ path: ':memory:' })
  afterEach(() => app?.close())
  afterAll(() => sessionsStore.close())

  it('registers nothing without an admin token', async () => {
    app = await familyApp(uiRoutes, testServices(), { prefix: '/ui' })
    expect((await app.inject('/ui/login')).statusCode).toBe(404)
  })

  it('sends a page to the login, logs in with the token, and shows pages with the cookie', async () => {
    const store = fake<Store>('store', {
      jobs: { counts: async () => Promise.reject(new Error('not sampled in this test')) },
      tokens: { list: async () => [] },
      leases: sessionsStore.leases,
    })
    app = await familyApp(uiRoutes, testServices({ store, adminToken: token }), {
      prefix: '/ui',
      sampleMs: 60_000,
    })
    const away = await app.inject('/ui/connections')
    expect(away.statusCode).toBe(303)
    expect(away.headers.location).toBe('/ui/login')
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const wrong = await app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: form,
      payload: 'token=x',
    })
    expect(wrong.statusCode).toBe(401)
    const login = await app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: form,
      payload: `token=${token}`,
    })
    expect(login.statusCode).toBe(303)
    const cookie = String(login.headers['set-cookie']).split(';')[0]!
    const page = await app.inject({ url: '/ui/connections', headers: { cookie } })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
    // An action must come from htmx, not from a form another site posts.
    const forged = await app.inject({
      method: 'POST',
      url: '/ui/dead-letters/replay',
      headers: { cookie },
    })
    expect(forged.statusCode).toBe(403)
    expect(forged.json()).toMatchObject({ error: 'forbidden' })

    // Logging out is an action too; once done, the same cookie opens nothing.
    const forgedLogout = await app.inject({
      method: 'POST',
      url: '/ui/logout',
      headers: { cookie },
    })
    expect(forgedLogout.statusCode).toBe(403)
    const logout = await app.inject({
      method: 'POST',
      url: '/ui/logout',
      headers: { cookie, 'hx-request': 'true' },
    })
    expect(logout.statusCode).toBe(204)
    expect(logout.headers['hx-redirect']).toBe('/ui/login')
    const replayed = await app.inject({ url: '/ui/connections', headers: { cookie } })
    expect(replayed.statusCode).toBe(303)
  })
})
