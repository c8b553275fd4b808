import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { systemClock, type Clock } from '../src/time/index.js'
import { asApp, proxyTokenEnv, proxyTokens } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const store = useTempSqliteFile('gateway-oauth.sqlite')
const keys = `k1:${randomBytes(32).toString('base64')}`

/** Real time plus an offset the test moves forward, shared by the gateway and the simulator. */
function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0
  return {
    now: () => systemClock.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    after: (ms, fn) => systemClock.after(ms, fn),
    advance: (ms) => {
      offset += ms
    },
  }
}

const metric = async (gateway: Gateway, line: string): Promise<number> => {
  const text = (await gateway.app.inject({ url: '/metrics' })).body
  const found = text.split('\n').find((l) => l.startsWith(line))
  return found === undefined ? 0 : Number(found.slice(line.length).trim())
}

describe('gateway OAuth connections', () => {
  const clock = offsetClock()
  let sim: Simulator
  let gateway: Gateway
  let url: string
  const admin = 'test-admin-token-0123456789abcdefgh'
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })

  const xeroConfig = (extra: Record<string, unknown> = {}) => ({
    baseUrl: `${sim.url}/api.xro/2.0`,
    params: { tenantId: sim.credentials.tenantId },
    oauth: {
      clientId: 'XERO_CLIENT_ID',
      clientSecret: 'XERO_CLIENT_SECRET',
      tokenUrl: `${sim.url}/oauth/token`,
      authorizeUrl: `${sim.url}/oauth/authorize`,
      scopes: ['offline_access'],
      ...extra,
    },
  })
  const env = () => ({
    XERO_CLIENT_ID: sim.credentials.clientId,
    XERO_CLIENT_SECRET: sim.credentials.clientSecret,
    SEAMLINE_ENCRYPTION_KEYS: keys,
    ...proxyTokenEnv,
  })

  /** What the user's browser does: follow the authorization URL and the redirect back. */
  const connect = async (id: string, body: Record<string, unknown> = {}) => {
    const started = await fetch(`${url}/api/connections/xero/${id}/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(started.status).toBe(200)
    const { url: authorize } = (await started.json()) as { url: string }
    const consent = await fetch(authorize, { redirect: 'manual' })
    expect(consent.status).toBe(302)
    return fetch(consent.headers.get('location')!, { redirect: 'manual' })
  }

  beforeAll(async () => {
    sim = await createSimulator({
      profile: 'xero',
      seed: 5,
      clock,
      oauth: { accessTokenSeconds: 60 },
    })
    gateway = await createGateway(
      parseConfig({
        store,
        profile: 'development',
        proxy: proxyTokens,
        providers: { xero: xeroConfig() },
      }),
      { env: env(), clock, adminToken: admin, log: { stream: logStream, level: 'debug' } },
    )
    url = await gateway.start(0)
  })
  afterAll(async () => {
    await gateway?.stop()
    await sim?.close()
  })

  it('connects a user through the authorization flow, and calls carry their token', async () => {
    expect((await fetch(`${sim.url}/api.xro/2.0/Invoices`)).status).toBe(401)
    const done = await connect('acme')
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Connected xero as acme')
    const status = await fetch(`${url}/api/connections/xero/acme`, {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(await status.json()).toMatchObject({ state: 'healthy', generation: 1 })

    const answer = await asApp(gateway)({
      url: '/proxy/xero/Invoices',
      headers: { 'x-seamline-connection': 'acme' },
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toEqual({ Invoices: [] })
    // The authorization code and state reached the callback, but not the logs.
    const callback = logs.find((line) => line.includes('/oauth/xero/callback'))
    expect(callback).toContain('code=[redacted]')
    expect(logs.join('')).not.toMatch(/code_[A-Za-z0-9]/)
  })

  it('refreshes an expired token before the call, once, and counts it', async () => {
    const before = sim.stats().refreshes
    clock.advance(10 * 60_000)
    const calls = await Promise.all(
      Array.from({ length: 5 }, () =>
        asApp(gateway)({
          url: '/proxy/xero/Invoices',
          headers: { 'x-seamline-connection': 'acme' },
        }),
      ),
    )
    expect(calls.map((c) => c.statusCode)).toEqual([200, 200, 200, 200, 200])
    expect(sim.stats().refreshes - before).toBe(1)
    expect(logs.filter((line) => line.includes('OAuth token refreshed'))).toHaveLength(1)
    expect(
      await metric(
        gateway,
        'seamline_oauth_token_refreshes_total{provider="xero",reason="expiry",outcome="refreshed"}',
      ),
    ).toBe(1)
    expect(
      await metric(gateway, 'seamline_oauth_connections{provider="xero",state="healthy"}'),
    ).toBeGreaterThanOrEqual(1)
  })

  it('answers 401 naming the error for a connection never made, 400 when none is named', async () => {
    const missing = await asApp(gateway)({
      url: '/proxy/xero/Invoices',
      headers: { 'x-seamline-connection': 'nobody' },
    })
    expect(missing.statusCode).toBe(401)
    expect(missing.json()).toMatchObject({ error: 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND' })
    const unnamed = await asApp(gateway)({ url: '/proxy/xero/Invoices' })
    expect(unnamed.statusCode).toBe(400)
    expect(unnamed.json()).toMatchObject({ error: 'connection_required' })
    expect(unnamed.json<{ message: string }>().message).toContain('providers.xero.oauth.connection')
  })

  it('refuses a forged, altered or foreign state at the callback, and connects nothing', async () => {
    const started = await fetch(`${url}/api/connections/xero/victim/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    })
    const state = new URL(((await started.json()) as { url: string }).url).searchParams.get(
      'state',
    )!
    const altered = state.slice(0, -4) + (state.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    for (const bad of ['', 'forged', altered]) {
      const answer = await fetch(`${url}/oauth/xero/callback?code=code_x&state=${bad}`)
      expect(answer.status).toBe(400)
      expect(await answer.text()).toContain('SEAM_ERR_OAUTH_STATE_INVALID')
    }
    // A state issued for one provider does not complete another's authorization.
    const foreign = await fetch(`${url}/oauth/other/callback?code=code_x&state=${state}`)
    expect(foreign.status).toBe(400)
    const denied = await fetch(`${url}/oauth/xero/callback?error=access_denied&state=${state}`)
    expect(denied.status).toBe(403)
    const status = await fetch(`${url}/api/connections/xero/victim`, {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(status.status).toBe(404)
  })

  it('refuses a state past its ten minutes', async () => {
    const started = await fetch(`${url}/api/connections/xero/late/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    })
    const authorize = ((await started.json()) as { url: string }).url
    const consent = await fetch(authorize, { redirect: 'manual' })
    clock.advance(11 * 60_000)
    const answer = await fetch(consent.headers.get('location')!)
    expect(answer.status).toBe(400)
    expect(await answer.text()).toContain('expired')
  })

  it('sends the user back to returnTo, with the connection named', async () => {
    const done = await connect('beta', { returnTo: 'https://app.example/connected' })
    expect(done.status).toBe(303)
    const next = new URL(done.headers.get('location')!)
    expect(next.origin + next.pathname).toBe('https://app.example/connected')
    expect(Object.fromEntries(next.searchParams)).toEqual({
      provider: 'xero',
      connection: 'beta',
      status: 'connected',
    })
  })

  it('refreshes on demand and removes a connection through the admin API', async () => {
    const auth = { authorization: `Bearer ${admin}` }
    const refreshed = await fetch(`${url}/api/connections/xero/beta/refresh`, {
      method: 'POST',
      headers: auth,
    })
    const after = (await refreshed.json()) as { state: string; generation: number }
    expect(after.state).toBe('healthy')
    expect(after.generation).toBeGreaterThan(1)
    const removed = await fetch(`${url}/api/connections/xero/beta`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(await removed.json()).toEqual({ removed: true })
    const gone = await asApp(gateway)({
      url: '/proxy/xero/Invoices',
      headers: { 'x-seamline-connection': 'beta' },
    })
    expect(gone.statusCode).toBe(401)
    const unknown = await fetch(`${url}/api/connections/stripe/x`, { headers: auth })
    expect(unknown.status).toBe(404)
  })

  it('connects a client-credentials provider on its first call', async () => {
    const other = await createGateway(
      parseConfig({
        store,
        profile: 'development',
        proxy: proxyTokens,
        providers: { xero: xeroConfig({ grant: 'client_credentials', scopes: undefined }) },
      }),
      { env: env(), clock, log: { enabled: false } },
    )
    try {
      const answer = await asApp(other)({ url: '/proxy/xero/Invoices' })
      expect(answer.statusCode).toBe(200)
      expect(
        await other.store.tokens.get({ provider: 'xero', connectionId: 'default' }),
      ).toMatchObject({ state: 'healthy' })
    } finally {
      await other.stop()
    }
  })

  it('refuses to start without an encryption key, or without a preset placeholder', async () => {
    const config = parseConfig({
      store,
      profile: 'development',
      proxy: proxyTokens,
      providers: { xero: xeroConfig() },
    })
    await expect(
      createGateway(config, { env: { ...env(), SEAMLINE_ENCRYPTION_KEYS: '' } }),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_ENCRYPTION_REQUIRED',
    })
    const withoutTenant = { ...xeroConfig(), params: undefined }
    await expect(
      createGateway(
        parseConfig({
          store,
          profile: 'development',
          proxy: proxyTokens,
          providers: { xero: withoutTenant },
        }),
        { env: env() },
      ),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_CONFIG_INVALID',
      target: 'providers.xero.params.tenantId',
    })
  })
})
