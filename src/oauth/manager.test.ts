import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createSealer, keyring } from '../credentials/index.js'
import { createClient } from '../http/index.js'
import { createSimulator, type OAuthOptions, type Simulator } from '../simulator/index.js'
import { sqliteStore, type Store } from '../stores/index.js'
import { FakeClock } from '../time/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  createState,
  createTokenManager,
  exchangeCode,
  genericPolicy,
  refreshAtOf,
  requestClientCredentials,
  verifyState,
  type OAuthAlert,
  type OAuthProvider,
  type TokenManagerOptions,
  type TokenPolicy,
  type TokenSet,
} from './index.js'

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const minute = 60_000
const ref = { provider: 'sim', connectionId: 'tenant-1' }
const redirectUri = 'http://127.0.0.1/callback'

const policy: TokenPolicy = {
  ...genericPolicy,
  name: 'sim',
  accessTokenTtlMs: 20 * minute,
  refreshMarginMs: 5 * minute,
  refreshJitterMs: 2 * minute,
  refreshTokenIdleMs: 60 * 24 * 60 * minute,
}

interface Setup {
  clock: FakeClock
  sim: Simulator
  store: Store
  provider: OAuthProvider
  alerts: OAuthAlert[]
  set: TokenSet
  tokens: ReturnType<typeof createTokenManager>
  manager: (extra?: Partial<TokenManagerOptions>) => ReturnType<typeof createTokenManager>
}

async function setup(
  oauth: OAuthOptions = {},
  options: Partial<TokenManagerOptions> & { policy?: TokenPolicy } = {},
): Promise<Setup> {
  const clock = new FakeClock()
  const sim = await createSimulator({
    profile: 'generic',
    clock,
    oauth: { accessTokenSeconds: 3_600, ...oauth },
  })
  cleanups.push(() => sim.close())
  const store = sqliteStore({ path: ':memory:' })
  cleanups.push(() => store.close())
  const sealer = createSealer({
    profile: 'test',
    keyring: keyring([{ id: 'k1', key: randomBytes(32) }]),
  })
  const provider: OAuthProvider = {
    tokenUrl: `${sim.url}/oauth/token`,
    authorizeUrl: `${sim.url}/oauth/authorize`,
    clientId: sim.credentials.clientId!,
    clientSecret: sim.credentials.clientSecret!,
    policy: options.policy ?? policy,
  }
  const alerts: OAuthAlert[] = []
  const manager = (extra: Partial<TokenManagerOptions> = {}) =>
    createTokenManager({
      store,
      sealer,
      clock,
      providers: { sim: provider },
      alerts: { log: (alert) => alerts.push(alert) },
      ...options,
      ...extra,
    })
  const tokens = manager()
  cleanups.push(() => tokens.close())

  // The authorization-code flow with PKCE and a signed state, against the simulator.
  const pkce = createPkce()
  const state = createState({ secret: 'state-secret', clock, data: ref.connectionId })
  const url = buildAuthorizeUrl({ provider, redirectUri, state, codeChallenge: pkce.challenge })
  const answer = await fetch(url, { redirect: 'manual' })
  const location = new URL(answer.headers.get('location')!)
  expect(
    verifyState(location.searchParams.get('state'), { secret: 'state-secret', clock }),
  ).toMatchObject({
    data: ref.connectionId,
  })
  const set = await exchangeCode({
    provider,
    code: location.searchParams.get('code')!,
    redirectUri,
    codeVerifier: pkce.verifier,
    clock,
  })
  await tokens.connect(ref, set)
  return { clock, sim, store, provider, alerts, tokens, manager, set }
}

const apiStatus = async (sim: Simulator, token: string) =>
  (await fetch(`${sim.url}/items`, { headers: { authorization: `Bearer ${token}` } })).status

describe('token manager', () => {
  it('serves the stored token while fresh and refreshes inside the jittered margin, once', async () => {
    const { clock, sim, tokens } = await setup()
    const first = await tokens.getAccessToken(ref)
    expect(await apiStatus(sim, first)).toBe(200)
    const status = (await tokens.status(ref))!
    // 60 min token, 5 min margin, up to 2 min of jitter.
    expect(status.refreshAt).toBeGreaterThanOrEqual(status.expiresAt! - 7 * minute)
    expect(status.refreshAt).toBeLessThanOrEqual(status.expiresAt! - 5 * minute)
    await clock.advance(status.refreshAt! - clock.now() - 1)
    expect(await tokens.getAccessToken(ref)).toBe(first)
    expect(sim.stats().refreshes).toBe(0)
    await clock.advance(1)
    const calls = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken(ref)))
    expect(new Set(calls).size).toBe(1)
    expect(calls[0]).not.toBe(first)
    expect(sim.stats().refreshes).toBe(1)
    expect(await apiStatus(sim, calls[0]!)).toBe(200)
    expect((await tokens.status(ref))?.state).toBe('healthy')
  })

  it('spreads the refresh moment of connections with the same expiry', () => {
    const moments = new Set(
      Array.from({ length: 50 }, (_, i) =>
        refreshAtOf(
          { provider: 'x', connectionId: `c${i}`, expiresAt: 3_600_000, refreshedAt: 0 },
          policy,
        ),
      ),
    )
    expect(moments.size).toBeGreaterThan(40)
    for (const at of moments) {
      expect(at).toBeGreaterThanOrEqual(3_600_000 - 7 * minute)
      expect(at).toBeLessThanOrEqual(3_600_000 - 5 * minute)
    }
    // A short-lived token gets a margin of at most a quarter of its life.
    const short = refreshAtOf(
      { provider: 'x', connectionId: 'c', expiresAt: 4 * minute, refreshedAt: 0 },
      policy,
    )!
    expect(short).toBeGreaterThanOrEqual(3 * minute - 0.4 * minute)
    expect(short).toBeLessThanOrEqual(3 * minute)
  })

  it("assumes the policy's lifetime when expires_in is missing", async () => {
    const { clock, sim, tokens } = await setup({ omitExpiresIn: true })
    const status = (await tokens.status(ref))!
    expect(status.expiresAt).toBe(clock.now() + policy.accessTokenTtlMs)
    expect(status.metadata.expiresAtAssumed).toBe(true)
    await clock.advance(status.refreshAt! - clock.now())
    await tokens.getAccessToken(ref)
    expect(sim.stats().refreshes).toBe(1)
  })

  it('keeps the old refresh token when the response has none (non-rotating)', async () => {
    const { clock, sim, tokens } = await setup({ refreshTokens: 'non-rotating' })
    for (let i = 0; i < 3; i++) {
      await clock.advance(((await tokens.status(ref))!.refreshAt ?? 0) - clock.now())
      await tokens.getAccessToken(ref)
    }
    expect(sim.stats().refreshes).toBe(3)
    expect((await tokens.status(ref))?.state).toBe('healthy')
  })

  it('declares a refused grant reauth_required once, alerts once, then fails fast without token calls', async () => {
    const { sim, store, tokens, manager, alerts } = await setup({ refreshTokens: 'rotating' })
    const spent = (await store.tokens.get(ref))!.refreshToken
    await manager().refresh(ref)
    // The row goes back to the refresh token already spent (as a restored backup would).
    const row = (await store.tokens.get(ref))!
    await store.tokens.swap(ref, row.generation, { ...row, refreshToken: spent }, 0)
    const failures: string[] = []
    tokens.events.on('oauth:refresh-failed', (e) => failures.push(`${e.kind}:${e.code}`))
    await expect(tokens.refresh(ref)).rejects.toMatchObject({
      code: 'SEAM_ERR_OAUTH_REAUTH_REQUIRED',
    })
    expect(failures).toEqual(['grant:invalid_grant'])
    expect(alerts.map((a) => `${a.from}->${a.to}:${a.error?.code}`)).toEqual([
      'healthy->reauth_required:invalid_grant',
    ])
    const refreshes = sim.stats().refreshes
    for (let i = 0; i < 5; i++) {
      await expect(tokens.getAccessToken(ref)).rejects.toMatchObject({
        code: 'SEAM_ERR_OAUTH_REAUTH_REQUIRED',
      })
    }
    expect(sim.stats().refreshes).toBe(refreshes)
    expect(alerts).toHaveLength(1)
    expect((await tokens.status(ref))?.state).toBe('reauth_required')
  })

  it('on invalid_grant re-reads the row and uses the pair another writer stored meanwhile', async () => {
    const { clock, store, tokens, manager, alerts } = await setup({ refreshTokens: 'rotating' })
    let theirs = ''
    const racing = manager({
      // Someone else redeems the same refresh token first and stores the new pair.
      fetch: async (input, init) => {
        if (theirs === '') {
          const answer = (await (await fetch(input, init)).json()) as Record<string, string>
          theirs = answer.access_token!
          await tokens.connect(ref, {
            accessToken: answer.access_token!,
            refreshToken: answer.refresh_token!,
            expiresAt: clock.now() + 3_600_000,
            expiresAtAssumed: false,
          })
        }
        return fetch(input, init)
      },
    })
    const failures: string[] = []
    racing.events.on('oauth:refresh-failed', (e) => failures.push(e.code))
    expect(await racing.refresh(ref)).toBe(theirs)
    expect(failures).toEqual(['invalid_grant'])
    expect((await store.tokens.get(ref))?.state).toBe('healthy')
    expect(alerts).toEqual([])
  })

  it('turns transient token-endpoint failures into degraded while the token is valid, alerting once each way', async () => {
    const { clock, sim, tokens, alerts } = await setup({}, { retryAfterFailureMs: minute })
    const valid = await tokens.getAccessToken(ref)
    const status = (await tokens.status(ref))!
    await clock.advance(status.refreshAt! - clock.now())
    sim.setFaults([
      {
        route: 'POST /oauth/token',
        sequence: [
          { kind: 'status', status: 503 },
          { kind: 'reset-before' },
          { kind: 'rate-limit', retryAfterSeconds: 120 },
        ],
      },
    ])
    const failures: string[] = []
    tokens.events.on('oauth:refresh-failed', (e) => failures.push(`${e.kind}:${e.code}`))
    // Each failure serves the still-valid token; retries wait out the backoff.
    expect(await tokens.getAccessToken(ref)).toBe(valid)
    expect((await tokens.status(ref))?.state).toBe('degraded')
    expect(await tokens.getAccessToken(ref)).toBe(valid)
    expect(failures).toHaveLength(1)
    await clock.advance(minute)
    expect(await tokens.getAccessToken(ref)).toBe(valid)
    await clock.advance(minute)
    expect(await tokens.getAccessToken(ref)).toBe(valid)
    expect(failures).toEqual(['transient:http_503', 'transient:network', 'transient:http_429'])
    // The 429 asked for 120 s: one minute later nothing is tried.
    const after429 = (await tokens.status(ref))!
    expect(after429.lastError?.retryAt).toBe(clock.now() + 120_000)
    expect(after429.state).toBe('degraded')
    await clock.advance(120_000)
    const fresh = await tokens.getAccessToken(ref)
    expect(fresh).not.toBe(valid)
    expect((await tokens.status(ref))?.state).toBe('healthy')
    expect(alerts.map((a) => `${a.from}->${a.to}`)).toEqual([
      'healthy->degraded',
      'degraded->healthy',
    ])
  })

  it('never declares a connection dead for transient errors after expiry: it stays degraded and throws a retryable error', async () => {
    const { clock, sim, tokens, alerts } = await setup({}, { retryAfterFailureMs: minute })
    const status = (await tokens.status(ref))!
    await clock.advance(status.expiresAt! - clock.now())
    sim.setFaults([
      { route: 'POST /oauth/token', probability: 1, fault: { kind: 'status', status: 502 } },
    ])
    for (let i = 0; i < 5; i++) {
      await expect(tokens.getAccessToken(ref)).rejects.toMatchObject({
        code: 'SEAM_ERR_OAUTH_REFRESH_FAILED',
      })
      await clock.advance(minute)
    }
    expect((await tokens.status(ref))?.state).toBe('degraded')
    expect(alerts.map((a) => a.to)).toEqual(['degraded'])
    sim.setFaults([])
    expect(await tokens.getAccessToken(ref)).toMatch(/^at_/)
    expect(alerts.map((a) => a.to)).toEqual(['degraded', 'healthy'])
  })

  it('posts each alert as JSON to the webhook once', async () => {
    const received: unknown[] = []
    const server: Server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.end('ok')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const { port } = server.address() as { port: number }
    const { clock, sim, manager } = await setup()
    const tokens = manager({ alerts: { webhookUrl: `http://127.0.0.1:${port}/alerts` } })
    await clock.advance(((await tokens.status(ref))!.expiresAt ?? 0) - clock.now())
    sim.setFaults([
      { route: 'POST /oauth/token', probability: 1, fault: { kind: 'status', status: 500 } },
    ])
    await expect(tokens.getAccessToken(ref)).rejects.toMatchObject({
      code: 'SEAM_ERR_OAUTH_REFRESH_FAILED',
    })
    await tokens.close()
    expect(received).toEqual([
      expect.objectContaining({
        type: 'oauth.connection_state',
        provider: 'sim',
        connectionId: ref.connectionId,
        from: 'healthy',
        to: 'degraded',
        error: expect.objectContaining({ code: 'http_500' }) as unknown,
      }),
    ])
    expect(JSON.stringify(received)).not.toMatch(/at_|rt_/)
  })

  it('refreshes once on a 401 and retries the call once with the new token', async () => {
    const { clock, sim, tokens, set } = await setup()
    // The provider revoked the access token early; the refresh token still works.
    await tokens.connect(ref, { ...set, accessToken: 'at_revoked' })
    const client = createClient({
      baseUrl: sim.url,
      limiter: false,
      clock,
      ...tokens.clientAuth(ref),
    })
    const answer = await client.get('/items')
    expect(answer.status).toBe(200)
    expect(answer.attempts).toHaveLength(1)
    expect(sim.stats().refreshes).toBe(1)
    // The next calls use the refreshed token without refreshing again.
    expect((await client.get('/items')).status).toBe(200)
    expect(sim.stats().refreshes).toBe(1)
  })

  it('asks for a new credential once per call: a second 401 is the answer', async () => {
    const { clock, sim } = await setup()
    const asked: string[] = []
    const client = createClient({
      baseUrl: sim.url,
      limiter: false,
      clock,
      credential: () => 'at_never_valid',
      onUnauthorized: (used) => {
        asked.push(used)
        return true
      },
    })
    await expect(client.get('/items')).rejects.toMatchObject({
      code: 'SEAM_ERR_HTTP_STATUS',
      status: 401,
    })
    expect(asked).toEqual(['at_never_valid'])
    expect(sim.stats().routes['GET /items']?.requests).toBe(2)
  })

  it("refuses a token copied from another connection's row, with a typed error", async () => {
    const { tokens, store, set } = await setup()
    const other = { provider: 'sim', connectionId: 'tenant-2' }
    await tokens.connect(other, { ...set, accessToken: 'at_other', refreshToken: 'rt_other' })
    const mine = (await store.tokens.get(ref))!
    const theirs = (await store.tokens.get(other))!
    await store.tokens.swap(
      other,
      theirs.generation,
      { ...theirs, accessToken: mine.accessToken },
      0,
    )
    await expect(tokens.getAccessToken(other)).rejects.toMatchObject({
      code: 'SEAM_ERR_DECRYPT_FAILED',
    })
    // The refresh token, too: copied, it never reaches the token endpoint.
    const again = (await store.tokens.get(other))!
    await store.tokens.swap(
      other,
      again.generation,
      { ...again, accessToken: theirs.accessToken, refreshToken: mine.refreshToken },
      0,
    )
    await expect(tokens.refresh(other)).rejects.toMatchObject({ code: 'SEAM_ERR_DECRYPT_FAILED' })
    expect(await tokens.getAccessToken(ref)).toBe(set.accessToken)
  })

  it('keeps refresh tokens alive from the idle lifetime: 2 refreshes in 90 days where a daily policy makes 90', async () => {
    const { clock, sim, tokens } = await setup({ refreshTokens: 'rotating' })
    const day = 24 * 60 * minute
    for (let d = 1; d <= 90; d++) {
      await clock.advance(day)
      await tokens.sweep()
    }
    // 60-day idle lifetime, refreshed at 75% of it: on day 45 and day 90.
    expect(sim.stats().refreshes).toBe(2)
    expect((await tokens.status(ref))?.state).toBe('healthy')
  })

  it('runs the keep-alive on the clock until stopped', async () => {
    const { clock, sim, tokens } = await setup()
    const day = 24 * 60 * minute
    const refreshed = new Promise((resolve) => tokens.events.on('oauth:refreshed', resolve))
    const loop = tokens.keepAlive({ everyMs: 50 * day })
    await clock.advance(50 * day)
    expect(await refreshed).toMatchObject({ reason: 'keep-alive', provider: 'sim' })
    await loop.stop()
    await clock.advance(100 * day)
    expect(sim.stats().refreshes).toBe(1)
  })

  it('keeps a refresh token alive before the expiry its token response stated', async () => {
    // A provider that states each refresh token's lifetime (GitHub's refresh_token_expires_in).
    let served = 0
    const server: Server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        served++
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify({
            access_token: `at_${served}`,
            refresh_token: `rt_${served}`,
            expires_in: 3_600,
            refresh_token_expires_in: 10 * 86_400,
            instance_url: 'https://example.my.salesforce.com',
          }),
        )
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const clock = new FakeClock()
    const store = sqliteStore({ path: ':memory:' })
    cleanups.push(() => store.close())
    const { port } = server.address() as { port: number }
    const provider = {
      tokenUrl: `http://127.0.0.1:${port}/token`,
      clientId: 'c',
      clientSecret: 's',
      // No idle lifetime known from the policy: only the stated expiry drives the keep-alive.
      policy: { ...genericPolicy, name: 'stated' },
    }
    const tokens = createTokenManager({
      store,
      clock,
      sealer: createSealer({
        profile: 'test',
        keyring: keyring([{ id: 'k', key: randomBytes(32) }]),
      }),
      providers: { stated: provider },
    })
    const set = await exchangeCode({ provider, code: 'c', redirectUri, clock })
    expect(set).toMatchObject({
      refreshTokenExpiresAt: clock.now() + 10 * 86_400_000,
      instanceUrl: 'https://example.my.salesforce.com',
    })
    const connection = { provider: 'stated', connectionId: 'org-1' }
    await tokens.connect(connection, set)
    const day = 86_400_000
    await clock.advance(7 * day)
    expect(await tokens.sweep()).toEqual({ checked: 1, refreshed: 0, failed: 0 })
    await clock.advance(day / 2)
    expect(await tokens.sweep()).toEqual({ checked: 1, refreshed: 1, failed: 0 })
    expect(served).toBe(2)
    expect((await tokens.status(connection))?.metadata).toMatchObject({
      refreshTokenExpiresAt: clock.now() + 10 * day,
      instanceUrl: 'https://example.my.salesforce.com',
    })
  })

  it('renews a client-credentials connection with the same grant, and says which token was refreshed without naming it', async () => {
    const { clock, sim, store, provider } = await setup()
    const appOnly = { ...provider, grant: 'client_credentials' as const, scopes: ['read'] }
    const tokens = createTokenManager({
      store,
      clock,
      sealer: createSealer({ profile: 'test', dangerouslyAllowPlaintext: true }),
      providers: { app: appOnly },
    })
    const set = await requestClientCredentials({ provider: appOnly, clock })
    expect(set.refreshToken).toBeUndefined()
    const connection = { provider: 'app', connectionId: 'app-1' }
    await tokens.connect(connection, set)
    const refreshed: unknown[] = []
    tokens.events.on('oauth:refreshed', (e) => refreshed.push(e))
    await clock.advance((await tokens.status(connection))!.refreshAt! - clock.now())
    const renewed = await tokens.getAccessToken(connection)
    expect(renewed).not.toBe(set.accessToken)
    expect(await apiStatus(sim, renewed)).toBe(200)
    expect(sim.stats().refreshes).toBe(0)
    expect(refreshed).toEqual([
      expect.objectContaining({ provider: 'app', reason: 'expiry', rotated: false }),
    ])
    expect(JSON.stringify(refreshed)).not.toContain(renewed)
  })

  it('names what is missing: an unknown provider or connection', async () => {
    const { tokens } = await setup()
    await expect(
      tokens.getAccessToken({ provider: 'nope', connectionId: 'x' }),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_INVALID_ARGUMENT',
    })
    await expect(
      tokens.getAccessToken({ provider: 'sim', connectionId: 'x' }),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND',
      message: expect.stringContaining('sim/x') as unknown,
    })
  })
})

describe('authorization helpers', () => {
  const clock = new FakeClock()
  it('refuses a state that is altered, signed with another secret, expired or from another session', async () => {
    const state = createState({ secret: 's1', clock, ttlMs: 1_000, data: 'c1' })
    const verified = verifyState(state, { secret: 's1', clock })
    expect(verified.data).toBe('c1')
    const refused = (check: () => unknown) => {
      let error: unknown
      try {
        check()
      } catch (caught) {
        error = caught
      }
      expect(error).toMatchObject({ code: 'SEAM_ERR_OAUTH_STATE_INVALID' })
    }
    const [nonce, expires, , mac] = state.split('.')
    const forged = [nonce, expires, Buffer.from('c2').toString('base64url'), mac].join('.')
    refused(() => verifyState(forged, { secret: 's1', clock }))
    refused(() => verifyState(state, { secret: 's2', clock }))
    refused(() => verifyState(null, { secret: 's1', clock }))
    refused(() => verifyState(state, { secret: 's1', clock, expectedNonce: 'other' }))
    await clock.advance(1_000)
    refused(() => verifyState(state, { secret: 's1', clock }))
  })

  it('makes an S256 PKCE pair the simulator accepts, and refuses a wrong verifier', async () => {
    const { provider } = await setup()
    const pkce = createPkce()
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const url = buildAuthorizeUrl({
      provider: { ...provider, scopes: ['a', 'b'] },
      redirectUri,
      state: 'st',
      codeChallenge: pkce.challenge,
      params: { prompt: 'consent' },
    })
    const query = new URL(url).searchParams
    expect(Object.fromEntries(query)).toMatchObject({
      response_type: 'code',
      scope: 'a b',
      code_challenge_method: 'S256',
      prompt: 'consent',
    })
    const location = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    await expect(
      exchangeCode({
        provider,
        code: location.searchParams.get('code')!,
        redirectUri,
        codeVerifier: createPkce().verifier,
      }),
    ).rejects.toMatchObject({ code: 'SEAM_ERR_OAUTH_TOKEN_REQUEST' })
  })
})
