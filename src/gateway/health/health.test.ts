import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { familyApp, fake, testServices } from '../../../test/helpers/gateway-services.js'
import type { JobCounts, Store } from '../../stores/index.js'
import { FakeClock } from '../../time/index.js'
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

  it('is ready while the store answers a read, 503 naming why once it does not', async () => {
    let answer: () => Promise<void> = () => Promise.resolve()
    const store = fake<Store>('store', { ping: () => answer() })
    const clock = new FakeClock({ now: 0 })
    app = await familyApp(healthRoutes, testServices({ store, clock }))
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' })
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' })

    answer = () =>
      Promise.reject(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }))
    const down = await app.inject('/readyz')
    expect(down.statusCode).toBe(503)
    expect(down.json()).toEqual({
      status: 'unavailable',
      reason: 'the store does not answer (ECONNREFUSED)',
    })

    // A store that never answers is not ready either, once the deadline has passed.
    answer = () => new Promise<void>(() => undefined)
    const silent = app.inject('/readyz')
    await clock.advance(2_000)
    expect((await silent).json()).toEqual({
      status: 'unavailable',
      reason: 'the store did not answer within 2000 ms',
    })
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
