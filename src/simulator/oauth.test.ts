import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { createSimulator, type Simulator, type SimulatorOptions } from './simulator.js'

const open: Simulator[] = []
afterAll(() => Promise.all(open.map((s) => s.close())))

async function start(options: SimulatorOptions = {}) {
  const clock = new FakeClock()
  const sim = await createSimulator({ profile: 'generic', ...options, clock })
  open.push(sim)
  return { sim, clock }
}

interface TokenReply {
  status: number
  body: { access_token?: string; refresh_token?: string; expires_in?: number; error?: string }
}

async function token(
  sim: Simulator,
  form: Record<string, string>,
  basic = true,
): Promise<TokenReply> {
  const client = {
    client_id: sim.credentials.clientId!,
    client_secret: sim.credentials.clientSecret!,
  }
  const auth = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')
  const response = await fetch(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${auth}` } : {}),
    },
    body: new URLSearchParams(basic ? form : { ...form, ...client }),
  })
  return { status: response.status, body: (await response.json()) as TokenReply['body'] }
}

async function authorize(sim: Simulator, extra: Record<string, string> = {}): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: sim.credentials.clientId!,
    redirect_uri: 'http://127.0.0.1/callback',
    state: 'xyz',
    ...extra,
  })
  const response = await fetch(`${sim.url}/oauth/authorize?${query.toString()}`, {
    redirect: 'manual',
  })
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location')!)
  expect(location.searchParams.get('state')).toBe('xyz')
  return location.searchParams.get('code')!
}

const exchange = (sim: Simulator, code: string, extra: Record<string, string> = {}) =>
  token(sim, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'http://127.0.0.1/callback',
    ...extra,
  })
const refresh = (sim: Simulator, refreshToken: string) =>
  token(sim, { grant_type: 'refresh_token', refresh_token: refreshToken })
const api = async (sim: Simulator, accessToken: string) =>
  (await fetch(`${sim.url}/items`, { headers: { authorization: `Bearer ${accessToken}` } })).status

describe('simulator OAuth server', () => {
  it('grants a code with automatic consent, exchanges it once, and the token opens API routes until it expires', async () => {
    const { sim, clock } = await start({ oauth: { accessTokenSeconds: 60 } })
    const code = await authorize(sim)
    const granted = await exchange(sim, code)
    expect(granted.status).toBe(200)
    expect(granted.body).toMatchObject({ token_type: 'Bearer', expires_in: 60 })
    expect(granted.body.refresh_token).toMatch(/^rt_/)
    expect((await exchange(sim, code)).body.error).toBe('invalid_grant')
    const access = granted.body.access_token!
    expect(await api(sim, access)).toBe(200)
    await clock.advance(59_999)
    expect(await api(sim, access)).toBe(200)
    await clock.advance(1)
    expect(await api(sim, access)).toBe(401)
  })

  it('checks PKCE (S256 and plain) and the redirect URI', async () => {
    const { sim } = await start()
    const verifier = 'v'.repeat(50)
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const s256 = await authorize(sim, { code_challenge: challenge, code_challenge_method: 'S256' })
    expect((await exchange(sim, s256, { code_verifier: 'wrong' })).body.error).toBe('invalid_grant')
    const again = await authorize(sim, { code_challenge: challenge, code_challenge_method: 'S256' })
    expect((await exchange(sim, again, { code_verifier: verifier })).status).toBe(200)
    const plain = await authorize(sim, { code_challenge: 'plain-secret' })
    expect((await exchange(sim, plain, { code_verifier: 'plain-secret' })).status).toBe(200)
    const other = await authorize(sim)
    const misdirected = await token(sim, {
      grant_type: 'authorization_code',
      code: other,
      redirect_uri: 'http://evil/',
    })
    expect(misdirected.body.error).toBe('invalid_grant')
  })

  it('authenticates the client by basic auth or form fields, and issues client-credentials tokens', async () => {
    const { sim } = await start()
    const cc = await token(sim, { grant_type: 'client_credentials' }, false)
    expect(cc.status).toBe(200)
    expect(cc.body.refresh_token).toBeUndefined()
    expect(await api(sim, cc.body.access_token!)).toBe(200)
    const bad = await fetch(`${sim.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'x',
        client_secret: 'y',
      }),
    })
    expect(bad.status).toBe(401)
    expect((await token(sim, { grant_type: 'password' })).body.error).toBe('unsupported_grant_type')
  })

  it('non-rotating: the same refresh token works again and again', async () => {
    const { sim } = await start({ oauth: { refreshTokens: 'non-rotating' } })
    const { refresh_token: rt } = (await exchange(sim, await authorize(sim))).body
    for (let i = 0; i < 3; i++) {
      const next = await refresh(sim, rt!)
      expect(next.status).toBe(200)
      expect(next.body.refresh_token).toBe(rt)
    }
    expect(sim.stats().refreshes).toBe(3)
  })

  it('rotating: each refresh token works once; reuse answers invalid_grant and can revoke the grant', async () => {
    const { sim } = await start({ oauth: { refreshTokens: 'rotating' } })
    const first = (await exchange(sim, await authorize(sim))).body
    const second = await refresh(sim, first.refresh_token!)
    expect(second.body.refresh_token).not.toBe(first.refresh_token)
    expect((await refresh(sim, first.refresh_token!)).body.error).toBe('invalid_grant')
    expect((await refresh(sim, second.body.refresh_token!)).status).toBe(200)

    const strict = await start({ oauth: { refreshTokens: 'rotating', revokeGrantOnReuse: true } })
    const grant = (await exchange(strict.sim, await authorize(strict.sim))).body
    const rotated = (await refresh(strict.sim, grant.refresh_token!)).body
    expect(await api(strict.sim, rotated.access_token!)).toBe(200)
    expect((await refresh(strict.sim, grant.refresh_token!)).body.error).toBe('invalid_grant')
    // The replay revoked everything: the newest refresh token and its access token too.
    expect((await refresh(strict.sim, rotated.refresh_token!)).body.error).toBe('invalid_grant')
    expect(await api(strict.sim, rotated.access_token!)).toBe(401)
    expect(strict.sim.stats().refreshes).toBe(3)
  })

  it('rotating with grace: the previous token still works inside the window, then not', async () => {
    const { sim, clock } = await start({
      oauth: { refreshTokens: 'rotating-grace', graceSeconds: 60 },
    })
    const first = (await exchange(sim, await authorize(sim))).body
    const second = (await refresh(sim, first.refresh_token!)).body
    const late = await refresh(sim, first.refresh_token!)
    expect(late.status).toBe(200)
    expect(late.body.refresh_token).toBe(second.refresh_token) // converges on the current token
    await clock.advance(60_000)
    expect((await refresh(sim, first.refresh_token!)).body.error).toBe('invalid_grant')
    expect((await refresh(sim, second.refresh_token!)).status).toBe(200)
  })

  it('can leave expires_in out', async () => {
    const { sim } = await start({ oauth: { omitExpiresIn: true } })
    const granted = (await exchange(sim, await authorize(sim))).body
    expect(granted.access_token).toBeDefined()
    expect('expires_in' in granted).toBe(false)
  })
})

describe('xero profile', () => {
  async function xero(options: SimulatorOptions['xero'] = {}) {
    const { sim, clock } = await start({ profile: 'xero', xero: options })
    const access = (await token(sim, { grant_type: 'client_credentials' })).body.access_token!
    const headers = {
      authorization: `Bearer ${access}`,
      'xero-tenant-id': sim.credentials.tenantId!,
    }
    const get = () => fetch(`${sim.url}/api.xro/2.0/Invoices`, { headers })
    return { sim, clock, headers, get }
  }

  it('takes OAuth bearer tokens only, for its tenant', async () => {
    const { sim, headers } = await xero()
    expect(
      (
        await fetch(`${sim.url}/api.xro/2.0/Invoices`, {
          headers: { ...headers, authorization: 'Bearer x' },
        })
      ).status,
    ).toBe(401)
    expect(
      (
        await fetch(`${sim.url}/api.xro/2.0/Invoices`, {
          headers: { ...headers, 'xero-tenant-id': 'other' },
        })
      ).status,
    ).toBe(403)
    const created = await fetch(`${sim.url}/api.xro/2.0/Contacts`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ Contacts: [{ Name: 'Ada' }] }),
    })
    expect(created.status).toBe(200)
    expect(await created.json()).toMatchObject({ Contacts: [{ Name: 'Ada' }] })
  })

  it('counts minute, day and app-minute remaining, and names the problem on 429', async () => {
    const { clock, get } = await xero({ perMinute: 2, perDay: 3, appPerMinute: 100 })
    const first = await get()
    expect([
      first.headers.get('x-minlimit-remaining'),
      first.headers.get('x-daylimit-remaining'),
      first.headers.get('x-appminlimit-remaining'),
    ]).toEqual(['1', '2', '99'])
    await clock.advance(10_000)
    await get()
    const minute = await get()
    expect(minute.status).toBe(429)
    expect(minute.headers.get('x-rate-limit-problem')).toBe('minute')
    expect(minute.headers.get('retry-after')).toBe('50')
    await clock.advance(50_000)
    expect((await get()).status).toBe(200)
    const day = await get()
    expect(day.status).toBe(429)
    expect(day.headers.get('x-rate-limit-problem')).toBe('day')
    expect(day.headers.get('retry-after')).toBe(String(86_400 - 60))
  })

  it('limits the whole app per minute, across tenants', async () => {
    const { get } = await xero({ appPerMinute: 1 })
    expect((await get()).headers.get('x-appminlimit-remaining')).toBe('0')
    const over = await get()
    expect(over.status).toBe(429)
    expect(over.headers.get('x-rate-limit-problem')).toBe('appminute')
    expect(over.headers.get('retry-after')).toBe('60')
  })

  it('limits requests in flight per tenant', async () => {
    const { sim, clock, get } = await xero({ concurrency: 1 })
    sim.setFaults([{ sequence: [{ kind: 'latency', ms: 100 }] }])
    const slow = get()
    // One request for the token, then the slow one.
    while (sim.stats().total.requests < 2) await new Promise((r) => setImmediate(r))
    const second = await get()
    expect(second.status).toBe(429)
    expect(second.headers.get('x-rate-limit-problem')).toBe('concurrent')
    await clock.advance(100)
    expect((await slow).status).toBe(200)
  })
})
