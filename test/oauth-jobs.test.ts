import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { createSealer, keyring } from '../src/credentials/index.js'
import { createClient } from '../src/http/index.js'
import { createJobs } from '../src/jobs/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  createTokenManager,
  exchangeCode,
  type OAuthProvider,
} from '../src/oauth/index.js'
import { createSimulator } from '../src/simulator/index.js'
import { sqliteStore } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('a job calling an OAuth API through ctx.client', () => {
  it('gets its token from the token manager, and a 401 refreshes once and retries', async () => {
    const sim = await createSimulator({ profile: 'generic' })
    cleanups.push(() => sim.close())
    const store = sqliteStore({ path: useTempSqliteFile('oauth-jobs.sqlite') })
    cleanups.push(() => store.close())
    const provider: OAuthProvider = {
      tokenUrl: `${sim.url}/oauth/token`,
      authorizeUrl: `${sim.url}/oauth/authorize`,
      clientId: sim.credentials.clientId!,
      clientSecret: sim.credentials.clientSecret!,
      policy: 'xero',
    }
    const tokens = createTokenManager({
      store,
      sealer: createSealer({
        profile: 'test',
        keyring: keyring([{ id: 'k1', key: randomBytes(32) }]),
      }),
      providers: { xero: provider },
    })
    cleanups.push(() => tokens.close())
    const pkce = createPkce()
    const redirectUri = 'http://127.0.0.1/cb'
    const url = buildAuthorizeUrl({
      provider,
      redirectUri,
      state: 's',
      codeChallenge: pkce.challenge,
    })
    const location = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    const set = await exchangeCode({
      provider,
      code: location.searchParams.get('code')!,
      redirectUri,
      codeVerifier: pkce.verifier,
    })
    const connection = { provider: 'xero', connectionId: 'tenant-42' }
    // The provider revoked this access token early; the refresh token still works.
    await tokens.connect(connection, { ...set, accessToken: 'at_revoked' })

    const xero = createClient({
      baseUrl: sim.url,
      limiter: false,
      ...tokens.clientAuth(connection),
    })
    const jobs = createJobs({ store, clients: { xero } })
    cleanups.push(() => jobs.stop({ timeoutMs: 0 }))
    const statuses: number[] = []
    jobs.define('sync-invoices', async (_payload, ctx) => {
      statuses.push((await ctx.client('xero').get('/items')).status)
    })
    jobs.start()
    const { id } = await jobs.enqueue('sync-invoices', {})
    for (let i = 0; i < 10_000 && (await store.jobs.get(id))?.state !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect((await store.jobs.get(id))?.state).toBe('completed')
    expect(statuses).toEqual([200])
    expect(sim.stats().refreshes).toBe(1)
  })
})
