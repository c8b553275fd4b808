import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { familyApp, fake, testServices } from '../../../test/helpers/gateway-services.js'
import type { JobCounts, Store } from '../../stores/index.js'
import { healthRoutes } from './index.js'

const counts: JobCounts = {
  ready: 3,
  scheduled: 2,
  running: 1,
  dead: 4,
  oldestReadyAt: Date.parse('2026-01-01T00:00:00Z') - 30_000,
}

describe('health family', () => {
  let app: FastifyInstance | undefined
  afterEach(() => app?.close())

  it('is ready while the store answers, 503 once it does not', async () => {
    let up = true
    const store = fake<Store>('store', {
      jobs: { get: async () => (up ? undefined : Promise.reject(new Error('ECONNREFUSED'))) },
    })
    app = await familyApp(healthRoutes, testServices({ store }))
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' })
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' })
    up = false
    const down = await app.inject('/readyz')
    expect(down.statusCode).toBe(503)
    expect(down.json()).toEqual({ status: 'unavailable', reason: 'the store does not answer' })
  })

  it("serves the store's gauges in /metrics, read once per scrape", async () => {
    let reads = 0
    const store = fake<Store>('store', {
      jobs: { counts: async () => (reads++, counts) },
      tokens: { countByState: async () => [{ provider: 'xero', state: 'healthy', count: 2 }] },
      reports: { list: async () => [] },
    })
    app = await familyApp(healthRoutes, testServices({ store }))
    const text = (await app.inject('/metrics')).body
    expect(text).toContain('seamline_queue_depth{state="ready"} 3')
    expect(text).toContain('seamline_queue_lag_seconds 30')
    expect(text).toContain('seamline_dead_letters 4')
    expect(text).toContain('seamline_oauth_connections{provider="xero",state="healthy"} 2')
    expect(reads).toBe(1)
  })
})
