import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createClient, type ProviderPreset, type Transport } from '../src/http/index.js'
import { createLimiter, redisQuotaStore, type QuotaSpec } from '../src/limits/index.js'
import { redisUrl, useRedisNamespace } from './helpers/redis.js'

const worker = fileURLToPath(new URL('./fixtures/shared-limit-worker.mjs', import.meta.url))
let names = 0

describe.skipIf(!redisUrl)('limits shared through Redis', () => {
  const ns = useRedisNamespace()
  // Two limiters with one name and one store stand for two processes sharing a limit.
  const pair = (quotas: QuotaSpec[]) => {
    const name = `l${names++}`
    const store = redisQuotaStore({ redis: ns.client, prefix: ns.prefix })
    return [
      createLimiter({ name, quotas, store, pollMs: 5 }),
      createLimiter({ name, quotas, store, pollMs: 5 }),
    ] as const
  }

  it('admits against the shared count: what one process took, the other cannot', async () => {
    const [a, b] = pair([{ name: 'minute', limit: 3, windowMs: 60_000 }])
    await a.acquire()
    await a.acquire()
    await b.acquire()
    const refused = await b.acquire({ maxWaitMs: 1_000 }).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'SEAM_ERR_RATE_LIMITED' })
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(55_000)
    expect(await a.usage()).toEqual({ minute: { used: 3, limit: 3 } })
  })

  it('takes from every quota or from none', async () => {
    const [a, b] = pair([
      { name: 'minute', limit: 10, windowMs: 60_000 },
      { name: 'day', limit: 1, windowMs: 86_400_000 },
    ])
    await a.acquire()
    await expect(b.acquire({ maxWaitMs: 0 })).rejects.toMatchObject({
      message: expect.stringMatching(/for quota day/) as unknown,
    })
    expect(await b.usage()).toEqual({
      minute: { used: 1, limit: 10 },
      day: { used: 1, limit: 1 },
    })
  })

  it('holds a concurrency unit until released, then lets the other process in', async () => {
    const [a, b] = pair([{ name: 'concurrent', limit: 1 }])
    const held = await a.acquire()
    let admitted = false
    const waiting = b.acquire().then((p) => {
      admitted = true
      return p
    })
    await new Promise((r) => setTimeout(r, 30))
    expect(admitted).toBe(false)
    held.release()
    ;(await waiting).release()
    expect(admitted).toBe(true)
  })

  it('settles a reserved cost at the actual one', async () => {
    const [a, b] = pair([{ name: 'tokens', limit: 1_000, windowMs: 60_000 }])
    const permit = await a.acquire({ cost: { tokens: 900 } })
    await expect(b.acquire({ cost: { tokens: 300 }, maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'SEAM_ERR_RATE_LIMITED',
    })
    permit.release({ tokens: 400 })
    await b.acquire({ cost: { tokens: 300 }, maxWaitMs: 0 })
    expect((await a.usage()).tokens).toEqual({ used: 700, limit: 1_000 })
  })

  it("shares a provider's pause, and counts what the provider says others used", async () => {
    const [a, b] = pair([{ name: 'hour', limit: 100, windowMs: 3_600_000 }])
    a.observe('hour', { remaining: 40 })
    await new Promise((r) => setTimeout(r, 20)) // the observation is sent, not awaited
    expect((await b.usage()).hour).toEqual({ used: 60, limit: 100 })
    a.pause(60_000, 'Retry-After on a 429')
    await new Promise((r) => setTimeout(r, 20))
    await expect(b.acquire({ maxWaitMs: 1_000 })).rejects.toMatchObject({
      message: expect.stringMatching(/for quota pause/) as unknown,
    })
  })

  it("shares a preset's quotas between clients given the same store, per connection", async () => {
    const preset: ProviderPreset = {
      name: `p${names++}`,
      environments: { live: { baseUrl: 'https://{tenant}.example.com' } },
      defaultEnvironment: 'live',
      auth: { kind: 'bearer' },
      quotas: [{ name: 'minute', limit: 2, windowMs: 60_000 }],
    }
    const transport: Transport = async () => ({
      status: 200,
      headers: {},
      body: { text: async () => '', dump: async () => {}, async *[Symbol.asyncIterator]() {} },
    })
    const store = redisQuotaStore({ redis: ns.client, prefix: ns.prefix })
    const client = (tenant: string) =>
      createClient({ provider: preset, params: { tenant }, limits: { store }, transport })
    await client('a').get('/x')
    await client('a').get('/x')
    await expect(client('a').get('/x', { deadlineMs: 1_000 })).rejects.toMatchObject({
      code: 'SEAM_ERR_RATE_LIMITED',
    })
    await client('b').get('/x') // another tenant, another count
    expect(await client('a').limiter!.usage()).toEqual({ minute: { used: 2, limit: 2 } })
  })

  it('falls back to a per-process limit when Redis fails, and says so once', async () => {
    const errors: unknown[] = []
    const broken = {
      evalsha: () => Promise.reject(new Error('connection is closed')),
      eval: () => Promise.reject(new Error('connection is closed')),
    }
    const limiter = createLimiter({
      name: 'broken',
      quotas: [{ name: 'second', limit: 2, windowMs: 60_000 }],
      store: redisQuotaStore({ redis: broken, onError: (e) => errors.push(e) }),
    })
    await limiter.acquire()
    await limiter.acquire()
    await expect(limiter.acquire({ maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'SEAM_ERR_RATE_LIMITED',
    })
    expect(errors).toHaveLength(1)
  })

  it('never admits more than the limit in any window across 4 processes', async () => {
    const limit = 10
    const windowMs = 400
    const run = (): Promise<number[]> =>
      promisify(execFile)(process.execPath, [
        worker,
        redisUrl!,
        `${ns.prefix}procs:`,
        String(limit),
        String(windowMs),
        '1500',
        '4',
      ]).then(({ stdout }) => JSON.parse(stdout) as number[])
    const perProcess = await Promise.all([run(), run(), run(), run()])
    for (const admitted of perProcess) expect(admitted.length).toBeGreaterThan(0)
    // Admission times are Redis's own clock, so the check is exact.
    const all = perProcess.flat().sort((x, y) => x - y)
    for (const [i, start] of all.entries()) {
      let inWindow = 0
      for (let j = i; j < all.length && all[j]! < start + windowMs; j++) inWindow++
      expect(inWindow, `window from ${start}`).toBeLessThanOrEqual(limit)
    }
  })
})
