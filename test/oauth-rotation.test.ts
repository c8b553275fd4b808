import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSealer, keyring } from '../src/credentials/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  createTokenManager,
  exchangeCode,
  type OAuthProvider,
  type TokenManager,
} from '../src/oauth/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { sqliteStore, type Store } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

// A seeded generator, so a failing run can be replayed with its seed.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('strict single-use rotation under randomized concurrency', () => {
  const file = useTempSqliteFile('rotation.sqlite')
  const ref = { provider: 'sim', connectionId: 'tenant-1' }
  const seed = Number(process.env.SEAMLINE_TEST_SEED ?? Date.now() % 1_000_000)
  let sim: Simulator
  const stores: Store[] = []
  const managers: TokenManager[] = []

  beforeAll(async () => {
    // A reused refresh token revokes the whole grant: one race lost would end every later run.
    sim = await createSimulator({
      profile: 'generic',
      oauth: { refreshTokens: 'rotating', revokeGrantOnReuse: true },
    })
    const provider: OAuthProvider = {
      tokenUrl: `${sim.url}/oauth/token`,
      authorizeUrl: `${sim.url}/oauth/authorize`,
      clientId: sim.credentials.clientId!,
      clientSecret: sim.credentials.clientSecret!,
      policy: 'github-app',
    }
    const sealer = createSealer({
      profile: 'test',
      keyring: keyring([{ id: 'k1', key: randomBytes(32) }]),
    })
    // Four "processes": each its own connection to the file, its own lease owner and flights.
    for (let i = 0; i < 4; i++) {
      const store = sqliteStore({ path: file, synchronous: 'normal' })
      stores.push(store)
      managers.push(
        createTokenManager({
          store,
          sealer,
          providers: { sim: provider },
          cacheMs: 0,
          pollMs: 2,
          owner: `process-${i}`,
        }),
      )
    }
    const pkce = createPkce()
    const url = buildAuthorizeUrl({
      provider,
      redirectUri: 'http://127.0.0.1/cb',
      state: 's',
      codeChallenge: pkce.challenge,
    })
    const location = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    const set = await exchangeCode({
      provider,
      code: location.searchParams.get('code')!,
      redirectUri: 'http://127.0.0.1/cb',
      codeVerifier: pkce.verifier,
    })
    await managers[0]!.connect(ref, set)
  })

  afterAll(async () => {
    for (const manager of managers) await manager.close()
    for (const store of stores) await store.close()
    await sim?.close()
  })

  it('loses no grant in 1,000 runs: each run refreshes exactly once and the grant stays usable', async () => {
    const random = mulberry32(seed)
    const store = stores[0]!
    const runs = 1_000
    const startRefreshes = sim.stats().refreshes
    const failures: string[] = []
    for (let run = 0; run < runs; run++) {
      const before = await managers[0]!.getAccessToken(ref)
      // The stored token reaches its expiry.
      const row = (await store.tokens.get(ref))!
      await store.tokens.swap(
        ref,
        row.generation,
        { ...row, expiresAt: Date.now() - 1 },
        Date.now(),
      )
      const calls = 2 + Math.floor(random() * 15)
      const outcomes = await Promise.allSettled(
        Array.from({ length: calls }, async () => {
          const manager = managers[Math.floor(random() * managers.length)]!
          const unauthorized = random() < 0.25
          await pause(Math.floor(random() * 4))
          // Some callers were told 401 for the old token, others find it expired.
          return unauthorized
            ? (await manager.onUnauthorized(ref, before), await manager.getAccessToken(ref))
            : manager.getAccessToken(ref)
        }),
      )
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') failures.push(`run ${run}: ${String(outcome.reason)}`)
      }
      const tokens = new Set(
        outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
      )
      if (tokens.size !== 1 || tokens.has(before)) {
        failures.push(`run ${run}: callers got ${tokens.size} tokens`)
      }
      if (failures.length > 0) break
    }
    expect(failures, `seed ${seed}`).toEqual([])
    expect(sim.stats().refreshes - startRefreshes).toBe(runs)
    // The grant is alive: the latest token works and the latest refresh token refreshes.
    const latest = await managers[1]!.refresh(ref)
    const status = (
      await fetch(`${sim.url}/items`, { headers: { authorization: `Bearer ${latest}` } })
    ).status
    expect(status).toBe(200)
    expect((await store.tokens.get(ref))?.state).toBe('healthy')
  }, 300_000)
})
