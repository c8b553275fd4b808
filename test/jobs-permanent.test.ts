import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/http/index.js'
import { createJobs } from '../src/jobs/index.js'
import { getProvider } from '../src/providers/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { sqliteStore } from '../src/stores/index.js'
import { until } from './helpers/gateway.js'

describe('a job whose provider call cannot succeed', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await createSimulator({ profile: 'stripe', seed: 3 })
  })
  afterAll(() => sim.close())

  it("is a dead letter at once, as permanent, with the provider's message; a 503 is retried", async () => {
    const store = sqliteStore({ path: ':memory:' })
    const stripe = createClient({
      provider: getProvider('stripe'),
      baseUrl: sim.url,
      credential: sim.credentials.apiKey ?? '',
      limiter: false,
      retry: { maxAttempts: 1 },
    })
    const jobs = createJobs({ store, clients: { stripe }, worker: { pollMs: 10 } })
    jobs.define('read-missing', async (_payload, ctx) => {
      await ctx.client('stripe').get('/v1/customers/cus_missing')
    })
    jobs.define('read-flaky', async (_payload, ctx) => {
      await ctx.client('stripe').get('/v1/customers')
    })
    sim.setFaults([{ route: 'GET /v1/customers', sequence: [{ kind: 'status', status: 503 }] }])
    const missing = await jobs.enqueue('read-missing', {}, { maxAttempts: 20 })
    const flaky = await jobs.enqueue(
      'read-flaky',
      {},
      {
        maxAttempts: 3,
        backoff: { strategy: 'none', baseMs: 1 },
      },
    )
    jobs.start()
    try {
      await until(async () => (await store.jobs.get(missing.id))?.state === 'dead', 'dead letter')
      const dead = await store.jobs.get(missing.id)
      expect(dead).toMatchObject({ deadReason: 'permanent', attempts: 1 })
      expect(dead?.lastError?.message).toContain("No such customer: 'cus_missing'")

      await until(async () => (await store.jobs.get(flaky.id))?.state === 'completed', 'retried')
      const retried = await store.jobs.get(flaky.id)
      expect(retried?.deliveries).toBe(2)
      expect(retried?.history.map((entry) => entry.kind)).toEqual(['failed'])
    } finally {
      await jobs.stop({ timeoutMs: 1_000 })
      await store.close()
    }
  })
})
