import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { proxyGateway, proxyToken } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const store = useTempSqliteFile('proxy-retries.sqlite')

describe('egress proxy under lost answers, with its default retries', () => {
  let sim: Simulator
  let gateway: Gateway
  let pool: Pool

  beforeAll(async () => {
    // Three POSTs in ten are executed, then their connection is reset: the effect happened, the
    // answer is lost. Unlimited otherwise, so only the faults are measured.
    sim = await createSimulator({
      profile: 'stripe',
      seed: 30,
      stripe: { ratePerSecond: 1e9, concurrency: 1e9 },
      faults: [{ route: 'POST /v1/customers', probability: 0.3, fault: { kind: 'reset-after' } }],
    })
    gateway = await proxyGateway(
      store,
      {
        stripe: {
          baseUrl: sim.url,
          credentials: { apiKey: 'STRIPE_SECRET_KEY' },
          // The test-mode quota (25/s) would only slow the run down.
          limits: [{ name: 'second', limit: 100_000, windowMs: 1_000 }],
        },
      },
      { STRIPE_SECRET_KEY: sim.credentials.apiKey },
    )
    pool = new Pool(await gateway.start(0, '127.0.0.1'), { connections: 32 })
  })
  afterAll(async () => {
    await pool?.close()
    await gateway?.stop()
    await sim?.close()
  })

  it('completes at least 99 % of 1,000 keyed POSTs, and executes none twice', async () => {
    const post = async (i: number) => {
      // Half carry the app's own key, half an operation id the gateway derives one from.
      const key =
        i % 2 === 0
          ? { 'idempotency-key': `signup-${i}` }
          : { 'x-seamline-operation-id': `signup:${i}` }
      const answer = await pool.request({
        method: 'POST',
        path: '/proxy/stripe/v1/customers',
        headers: {
          authorization: `Bearer ${proxyToken}`,
          'content-type': 'application/x-www-form-urlencoded',
          ...key,
        },
        body: `email=user${i}%40example.com`,
      })
      await answer.body.dump()
      return answer.statusCode
    }
    const statuses: number[] = []
    const next = { i: 0 }
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next.i < 1_000) statuses.push(await post(next.i++))
      }),
    )
    const succeeded = statuses.filter((status) => status === 200).length
    expect(statuses).toHaveLength(1_000)
    expect(succeeded).toBeGreaterThanOrEqual(990)
    const route = sim.stats().routes['POST /v1/customers']
    // Every lost answer was asked again, and the provider ran each customer's creation once.
    expect(route?.executions).toBe(1_000)
    expect(route?.duplicateExecutionsByIdempotencyKey).toBe(0)
  }, 120_000)
})
