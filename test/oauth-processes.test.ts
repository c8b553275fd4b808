import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSealer, keyring } from '../src/credentials/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  createTokenManager,
  exchangeCode,
  type OAuthProvider,
} from '../src/oauth/index.js'
import { createSimulator, type RefreshTokenPolicy, type Simulator } from '../src/simulator/index.js'
import { openStore, type Store } from '../src/stores/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const worker = fileURLToPath(new URL('./fixtures/oauth-worker.mjs', import.meta.url))
const key = randomBytes(32)
const keys = `k1:${key.toString('base64')}`
const sealer = createSealer({ profile: 'test', keyring: keyring([{ id: 'k1', key }]) })
const redirectUri = 'http://127.0.0.1/callback'

interface WorkerResult {
  tokens: string[]
  errors: string[]
}

interface Run {
  result?: WorkerResult
  signal: NodeJS.Signals | null
}

/** What a refresh process is told: where the store, the provider and the connection are. */
const workerEnv = (storeUrl: string, sim: Simulator, connectionId: string) => ({
  STORE_URL: storeUrl,
  TOKEN_URL: `${sim.url}/oauth/token`,
  CLIENT_ID: sim.credentials.clientId!,
  CLIENT_SECRET: sim.credentials.clientSecret!,
  KEYS: keys,
  CONNECTION: connectionId,
})

const providerOf = (sim: Simulator): OAuthProvider => ({
  tokenUrl: `${sim.url}/oauth/token`,
  authorizeUrl: `${sim.url}/oauth/authorize`,
  clientId: sim.credentials.clientId!,
  clientSecret: sim.credentials.clientSecret!,
  policy: 'github-app',
})

/** A new grant from the simulator, stored as `connectionId` with its access token expired. */
async function connectExpired(store: Store, sim: Simulator, connectionId: string): Promise<void> {
  const provider = providerOf(sim)
  const pkce = createPkce()
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
  const tokens = createTokenManager({ store, sealer, providers: { sim: provider } })
  // Stored as if it were obtained an hour ago and had just expired.
  await tokens.connect({ provider: 'sim', connectionId }, { ...set, expiresAt: Date.now() - 1_000 })
}

function start(env: Record<string, string>): {
  ready: Promise<void>
  go: () => void
  done: Promise<Run>
} {
  const child = spawn(process.execPath, [worker], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let result: WorkerResult | undefined
  let readyResolve: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (readyResolve = resolve))
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') readyResolve()
    else result = JSON.parse(line) as WorkerResult
  })
  const done = new Promise<Run>((resolve) =>
    // 'close', not 'exit': stdout may still hold the result line when the process exits.
    child.on('close', (_code, signal) => resolve({ ...(result ? { result } : {}), signal })),
  )
  return { ready, go: () => child.stdin.write('go\n'), done }
}

const apiStatus = async (sim: Simulator, token: string) =>
  (await fetch(`${sim.url}/items`, { headers: { authorization: `Bearer ${token}` } })).status

function describeDialect(dialect: string, storeUrl: () => string): void {
  describe(`OAuth refresh across processes on ${dialect}`, () => {
    let store: Store
    let sim: Simulator
    beforeAll(async () => {
      store = await openStore(storeUrl())
      // Strict single use, and a reused token revokes the grant: a double refresh would show.
      sim = await createSimulator({
        profile: 'generic',
        oauth: { refreshTokens: 'rotating', revokeGrantOnReuse: true },
      })
    })
    afterAll(async () => {
      await sim?.close()
      await store?.close()
    })

    it('1,000 calls in 4 processes at expiry make exactly 1 refresh, and every caller gets its token', async () => {
      const connectionId = randomUUID()
      await connectExpired(store, sim, connectionId)
      const before = sim.stats().refreshes
      const workers = Array.from({ length: 4 }, () =>
        start({
          ...workerEnv(storeUrl(), sim, connectionId),
          CALLS: '250',
        }),
      )
      await Promise.all(workers.map((w) => w.ready))
      for (const w of workers) w.go()
      const runs = await Promise.all(workers.map((w) => w.done))
      const results = runs.map((run) => run.result)
      expect(results.flatMap((r) => r?.errors ?? ['no result'])).toEqual([])
      const tokens = new Set(results.flatMap((r) => r?.tokens ?? []))
      expect(tokens.size).toBe(1)
      expect(sim.stats().refreshes - before).toBe(1)
      expect(await apiStatus(sim, [...tokens][0]!)).toBe(200)
      expect((await store.tokens.get({ provider: 'sim', connectionId }))?.state).toBe('healthy')
    })
  })
}

const sqliteFile = useTempSqliteFile('oauth.sqlite')
describeDialect('SQLite (one shared file)', () => sqliteFile)

const crashFile = useTempSqliteFile('oauth-crash.sqlite')

describe.skipIf(!pgUrl)('', () => {
  const schema = usePostgresSchema()
  describeDialect('PostgreSQL', () => schema.url)
  describeCrashes('PostgreSQL', () => schema.url)
})

function describeCrashes(dialect: string, storeUrl: () => string): void {
  describe(`kill -9 around a refresh on ${dialect}`, () => {
    const alerts: { connectionId: string; to: string }[] = []
    let server: Server
    let alertUrl = ''
    let store: Store
    const sims = new Map<RefreshTokenPolicy, Simulator>()

    beforeAll(async () => {
      store = await openStore(storeUrl())
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (chunk: Buffer) => (body += chunk.toString()))
        req.on('end', () => {
          alerts.push(JSON.parse(body) as { connectionId: string; to: string })
          res.end()
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      alertUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/alerts`
      for (const policy of ['rotating-grace', 'rotating'] as const) {
        sims.set(
          policy,
          await createSimulator({ profile: 'generic', oauth: { refreshTokens: policy } }),
        )
      }
    })
    afterAll(async () => {
      for (const sim of sims.values()) await sim.close()
      await new Promise((resolve) => server?.close(resolve))
      await store?.close()
    })

    const run = (sim: Simulator, connectionId: string, crash = '') =>
      start({
        ...workerEnv(storeUrl(), sim, connectionId),
        ALERT_URL: alertUrl,
        // Short, so the next process waits briefly for the dead one's lease; the token request's
        // limit stays far above a loopback round trip on a busy machine.
        LEASE_MS: '4000',
        TIMEOUT_MS: '2000',
        CRASH: crash,
      }).done

    const points = ['before-call', 'after-response', 'before-commit', 'after-commit'] as const

    /** A process killed at `point` of a refresh of an expired connection, then the next one's run. */
    const crashThenRun = async (
      policy: RefreshTokenPolicy,
      connectionId: string,
      point: (typeof points)[number],
    ) => {
      const sim = sims.get(policy)!
      await connectExpired(store, sim, connectionId)
      const crashed = await run(sim, connectionId, point)
      expect(crashed.signal).toBe('SIGKILL')
      return { sim, next: await run(sim, connectionId) }
    }

    it.each(points)(
      'rotating with grace: killed %s, the next process gets a working token',
      async (point) => {
        const connectionId = `grace-${point}`
        const { sim, next } = await crashThenRun('rotating-grace', connectionId, point)
        expect(next.result?.errors).toEqual([])
        expect(await apiStatus(sim, next.result!.tokens[0]!)).toBe(200)
        expect((await store.tokens.get({ provider: 'sim', connectionId }))?.state).toBe('healthy')
        // And the grant lives on: the token stored is refreshed again without trouble.
        const refreshes = sim.stats().refreshes
        const again = createTokenManager({ store, sealer, providers: { sim: providerOf(sim) } })
        expect(await apiStatus(sim, await again.refresh({ provider: 'sim', connectionId }))).toBe(
          200,
        )
        expect(sim.stats().refreshes).toBe(refreshes + 1)
        expect(alerts.filter((a) => a.connectionId === connectionId)).toEqual([])
      },
    )

    it.each(points)(
      'strict single use: killed %s, the connection recovers or ends reauth_required with one alert',
      async (point) => {
        const connectionId = `strict-${point}`
        const { sim, next } = await crashThenRun('rotating', connectionId, point)
        const ref = { provider: 'sim', connectionId }
        // The refresh token was spent only if the provider answered before the crash.
        const spent = point === 'after-response' || point === 'before-commit'
        if (!spent) {
          expect(next.result?.errors).toEqual([])
          expect(await apiStatus(sim, next.result!.tokens[0]!)).toBe(200)
          expect((await store.tokens.get(ref))?.state).toBe('healthy')
          expect(alerts.filter((a) => a.connectionId === connectionId)).toEqual([])
          return
        }
        expect(next.result?.errors).toEqual(['SEAM_ERR_OAUTH_REAUTH_REQUIRED'])
        expect((await store.tokens.get(ref))?.state).toBe('reauth_required')
        // Never a silent loop: later processes fail fast, without token calls or more alerts.
        const refreshes = sim.stats().refreshes
        for (let i = 0; i < 2; i++) {
          expect((await run(sim, connectionId)).result?.errors).toEqual([
            'SEAM_ERR_OAUTH_REAUTH_REQUIRED',
          ])
        }
        expect(sim.stats().refreshes).toBe(refreshes)
        expect(alerts.filter((a) => a.connectionId === connectionId)).toEqual([
          expect.objectContaining({ from: 'healthy', to: 'reauth_required' }),
        ])
      },
    )
  })
}

describeCrashes('SQLite', () => crashFile)
