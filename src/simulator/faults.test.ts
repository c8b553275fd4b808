import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import { FaultPlan, type FaultRule } from './faults.js'
import { seededRandom } from './random.js'
import { createSimulator } from './simulator.js'
import { call } from './test-client.js'

const clock = new FakeClock()
const sim = await createSimulator({ clock, stripe: { ratePerSecond: 10_000 } })
afterAll(() => sim.close())
beforeEach(() => sim.reset())

const failure = (promise: Promise<unknown>): Promise<{ code?: string }> =>
  promise.then(
    () => ({ code: 'no failure' }),
    (error: Error & { cause?: { code?: string } }) => ({ code: error.cause?.code ?? error.name }),
  )
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
const createCustomer = (operation?: string, key?: string) =>
  call(sim, 'POST', '/v1/customers', {
    form: operation ? { 'metadata[operation_id]': operation } : {},
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  })

describe('simulator faults', () => {
  it.each([500, 502, 503, 504] as const)('answers %i before executing', async (status) => {
    sim.setFaults([{ probability: 1, fault: { kind: 'status', status } }])
    expect((await createCustomer()).status).toBe(status)
    expect(sim.stats().total).toMatchObject({ executions: 0, faults: { status: 1 } })
  })

  it('answers 429 with Retry-After and counts it', async () => {
    sim.setFaults([{ probability: 1, fault: { kind: 'rate-limit', retryAfterSeconds: 7 } }])
    const reply = await createCustomer()
    expect(reply.status).toBe(429)
    expect(reply.headers.get('retry-after')).toBe('7')
    expect(sim.stats().total.rateLimited).toBe(1)
  })

  it('adds latency, fixed or drawn from a range, answering only when time has passed', async () => {
    sim.setFaults([
      {
        sequence: [
          { kind: 'latency', ms: 300 },
          { kind: 'latency', ms: { min: 100, max: 200 } },
        ],
      },
    ])
    let answered = false
    const slow = createCustomer().then((r) => ((answered = true), r))
    while (sim.stats().total.requests < 1) await tick()
    await clock.advance(299)
    expect(answered).toBe(false)
    await clock.advance(1)
    expect((await slow).status).toBe(200)
    const ranged = createCustomer()
    while (sim.stats().total.requests < 2) await tick()
    await clock.advance(200)
    expect((await ranged).status).toBe(200)
  })

  it('hangs until the client gives up, without executing', async () => {
    sim.setFaults([{ probability: 1, fault: { kind: 'hang' } }])
    const controller = new AbortController()
    const hung = failure(
      fetch(`${sim.url}/v1/customers`, {
        headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
        signal: controller.signal,
      }),
    )
    while (sim.stats().total.requests < 1) await tick()
    controller.abort()
    expect((await hung).code).toBe('AbortError')
    expect(sim.stats().total.faults).toEqual({ hang: 1 })
  })

  it('resets the connection before executing: nothing happened', async () => {
    sim.setFaults([{ probability: 1, fault: { kind: 'reset-before' } }])
    expect((await failure(createCustomer('op-1'))).code).toBe('ECONNRESET')
    expect(sim.stats().total.executions).toBe(0)
  })

  it('resets the connection after executing: the effect happened, the response is lost', async () => {
    sim.setFaults([{ route: 'POST /v1/customers', sequence: [{ kind: 'reset-after' }] }])
    expect((await failure(createCustomer('op-2'))).code).toBe('ECONNRESET')
    // A naive retry without an idempotency key executes again: a duplicate.
    expect((await createCustomer('op-2')).status).toBe(200)
    expect(sim.stats().routes['POST /v1/customers']).toMatchObject({
      executions: 2,
      duplicateExecutionsByOperation: 1,
    })
    expect((await call(sim, 'GET', '/v1/customers')).body.data).toHaveLength(2)
  })

  it('with an idempotency key, the retry after a lost response replays instead of executing', async () => {
    sim.setFaults([{ route: 'POST /v1/customers', sequence: [{ kind: 'reset-after' }] }])
    expect((await failure(createCustomer('op-3', 'key-3'))).code).toBe('ECONNRESET')
    const retry = await createCustomer('op-3', 'key-3')
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(sim.stats().total).toMatchObject({ executions: 1, duplicateExecutionsByOperation: 0 })
  })

  it('trickles the body a few bytes per interval', async () => {
    sim.setFaults([{ probability: 1, fault: { kind: 'trickle', chunkBytes: 16, intervalMs: 50 } }])
    const response = await fetch(`${sim.url}/v1/customers`, {
      headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
    })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const chunks: Uint8Array[] = []
    for (;;) {
      const next = reader.read()
      if (chunks.length > 0) await clock.advance(50)
      const read = (await next) as { done: boolean; value?: Uint8Array }
      if (read.done || !read.value) break
      chunks.push(read.value)
    }
    expect(chunks[0]).toHaveLength(16)
    expect(chunks.length).toBeGreaterThan(2)
    const text = Buffer.concat(chunks).toString()
    expect(JSON.parse(text)).toMatchObject({ object: 'list' })
  })

  it('sends malformed JSON after executing', async () => {
    sim.setFaults([{ probability: 1, fault: { kind: 'malformed-json' } }])
    const response = await fetch(`${sim.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
    })
    expect(response.status).toBe(200)
    await expect(response.json()).rejects.toThrow(SyntaxError)
    expect(sim.stats().total.executions).toBe(1)
  })

  it('follows scripts per route and leaves other routes alone', async () => {
    sim.setFaults([
      { route: 'GET /v1/customers', sequence: ['ok', { kind: 'status', status: 503 }, 'ok'] },
    ])
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await call(sim, 'GET', '/v1/customers')).status)
    expect(statuses).toEqual([200, 503, 200, 200])
    expect((await call(sim, 'GET', '/v1/charges')).status).toBe(200)
  })

  it('matches routes with wildcards, and rule order decides', async () => {
    sim.setFaults([
      { route: 'GET /v1/customers/*', probability: 1, fault: { kind: 'status', status: 502 } },
      { route: '* /v1/*', probability: 1, fault: { kind: 'status', status: 500 } },
    ])
    expect((await call(sim, 'GET', '/v1/customers/cus_x')).status).toBe(502)
    expect((await call(sim, 'GET', '/v1/charges')).status).toBe(500)
  })

  it('draws the same faults from the same seed', () => {
    const rules: FaultRule[] = [{ probability: 0.3, fault: { kind: 'status', status: 503 } }]
    const draw = (seed: number) => {
      const plan = new FaultPlan(seededRandom(seed), rules)
      return Array.from({ length: 200 }, () => (plan.decide('GET /x') ? 'x' : '-')).join('')
    }
    expect(draw(1)).toBe(draw(1))
    expect(draw(1)).not.toBe(draw(2))
    const hits = draw(1)
      .split('')
      .filter((c) => c === 'x').length
    expect(hits).toBeGreaterThan(30)
    expect(hits).toBeLessThan(90)
  })

  it('rejects rules it cannot follow with a typed error naming the rule', () => {
    const plan = new FaultPlan(seededRandom(1))
    const bad: unknown[] = [
      [{ probability: 2, fault: { kind: 'hang' } }],
      [{ probability: 0.5, fault: { kind: 'explode' } }],
      [{ sequence: ['ok', { kind: 'status', status: 418 }] }],
    ]
    for (const rules of bad) {
      const error: unknown = (() => {
        try {
          plan.set(rules as FaultRule[])
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_INVALID_ARGUMENT')
      expect((error as Error).message).toMatch(/^simulator faults rules\[0\]/)
    }
  })

  it('refuses bodies over the size limit with 413', async () => {
    const small = await createSimulator({ clock, maxBodyBytes: 64 })
    try {
      const reply = await call(small, 'POST', '/v1/customers', {
        form: { description: 'x'.repeat(200) },
      })
      expect(reply.status).toBe(413)
      expect(small.stats().total.executions).toBe(0)
    } finally {
      await small.close()
    }
  })
})
