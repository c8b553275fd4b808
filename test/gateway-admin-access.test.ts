import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import type { GatewayConfigInput } from '../src/gateway/index.js'
import { FakeClock } from '../src/time/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()
const adminToken = 'sl_admin_access-test-0123456789abcdefghij'
const form = { 'content-type': 'application/x-www-form-urlencoded' }

describe('admin access over real sockets', () => {
  const open: Gateway[] = []
  afterEach(async () => {
    for (const gateway of open.splice(0)) await gateway.stop()
  })

  async function start(
    config: GatewayConfigInput = {},
    clock = new FakeClock({ now: Date.now() }),
  ) {
    const gateway = await createGateway(parseConfig({ store: path, ...config }), {
      adminToken,
      clock,
      log: { enabled: false },
    })
    open.push(gateway)
    return { url: await gateway.start(0, '127.0.0.1'), clock, gateway }
  }

  const login = (url: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/ui/login`, {
      method: 'POST',
      headers: { ...form, ...headers },
      body: `token=${encodeURIComponent(token)}`,
      redirect: 'manual',
    })

  it('refuses to start with an admin token shorter than 32 characters, naming its variable', async () => {
    const refused = await createGateway(parseConfig({ store: ':memory:' }), {
      adminToken: 'short-token',
      log: { enabled: false },
    }).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message?: string },
    )
    expect(refused?.code).toBe('SEAM_ERR_CONFIG_INVALID')
    expect(refused?.message).toMatch(/SEAMLINE_ADMIN_TOKEN.*11 characters.*at least 32/)
  })

  it('throttles an address after 10 wrong tokens, the right one included, until a minute has passed', async () => {
    const { url, clock } = await start()
    const api = (token: string) =>
      fetch(`${url}/api/sources`, { headers: { authorization: `Bearer ${token}` } })
    for (let i = 0; i < 10; i++) expect((await api(`wrong-${i}`)).status).toBe(401)
    const refused = await api(adminToken)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBe(60)
    expect(await refused.json()).toMatchObject({ error: 'too_many_attempts' })
    // The dashboard's login counts against the same address.
    const page = await login(url, adminToken)
    expect(page.status).toBe(429)
    expect(await page.text()).toContain('Too many wrong tokens')

    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toContain('seamline_admin_auth_failures_total{surface="api"} 10')
    expect(metrics).toContain('seamline_admin_auth_throttled_total{surface="api"} 1')
    expect(metrics).toContain('seamline_admin_auth_throttled_total{surface="ui"} 1')

    await clock.advance(60_000)
    expect((await api(adminToken)).status).toBe(200)
  })

  it('throttles wrong logins on /ui/login too', async () => {
    const { url } = await start()
    for (let i = 0; i < 10; i++) expect((await login(url, `wrong-${i}`)).status).toBe(401)
    expect((await login(url, adminToken)).status).toBe(429)
  })

  it('keeps sessions in the store: they survive a restart, and a logout revokes them for good', async () => {
    const first = await start()
    const answer = await login(first.url, adminToken)
    expect(answer.status).toBe(303)
    const setCookie = answer.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/)
    expect(setCookie).not.toContain('Secure')
    expect(setCookie).not.toContain(adminToken)
    const cookie = setCookie.split(';')[0]!
    const page = (url: string) =>
      fetch(`${url}/ui/events`, { headers: { cookie }, redirect: 'manual' })
    const shown = await page(first.url)
    expect(shown.status).toBe(200)
    // Pages run no inline script, cannot be framed, and leak no referrer.
    const policy = shown.headers.get('content-security-policy') ?? ''
    expect(/script-src ([^;]*)/.exec(policy)?.[1]).toBe("'self'")
    expect(policy).toContain("frame-ancestors 'none'")
    expect(shown.headers.get('referrer-policy')).toBe('no-referrer')
    expect(shown.headers.get('x-content-type-options')).toBe('nosniff')

    await first.gateway.stop()
    open.splice(open.indexOf(first.gateway), 1)
    const second = await start({}, first.clock)
    expect((await page(second.url)).status).toBe(200)

    // A logout must come from the dashboard (htmx), like every action.
    const forged = await fetch(`${second.url}/ui/logout`, { method: 'POST', headers: { cookie } })
    expect(forged.status).toBe(403)
    const logout = await fetch(`${second.url}/ui/logout`, {
      method: 'POST',
      headers: { cookie, 'hx-request': 'true' },
    })
    expect(logout.status).toBe(204)
    expect(logout.headers.get('hx-redirect')).toBe('/ui/login')
    const replayed = await page(second.url)
    expect(replayed.status).toBe(303)
    expect(replayed.headers.get('location')).toBe('/ui/login')
  })

  it('behind a trusted proxy, marks the cookie Secure and tells clients apart by X-Forwarded-For', async () => {
    const { url } = await start({ server: { trustProxy: ['127.0.0.1'] } })
    const secure = await login(url, adminToken, { 'x-forwarded-proto': 'https' })
    expect(secure.headers.get('set-cookie')).toMatch(/; Secure/)
    const from = (client: string) => ({ 'x-forwarded-for': client })
    for (let i = 0; i < 10; i++) await login(url, `wrong-${i}`, from('203.0.113.7'))
    expect((await login(url, adminToken, from('203.0.113.7'))).status).toBe(429)
    expect((await login(url, adminToken, from('198.51.100.9'))).status).toBe(303)
  })

  it('believes no forwarded header without trustProxy', async () => {
    const { url } = await start()
    const plain = await login(url, adminToken, { 'x-forwarded-proto': 'https' })
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/)
    for (let i = 0; i < 10; i++)
      await login(url, `wrong-${i}`, { 'x-forwarded-for': `192.0.2.${i}` })
    expect((await login(url, adminToken, { 'x-forwarded-for': '192.0.2.200' })).status).toBe(429)
  })
})
