import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../../../time/index.js'
import { createSimulator } from '../../simulator.js'
import { call } from '../../test-client.js'

const clock = new FakeClock()
const sim = await createSimulator({ profile: 'stripe', clock, seed: 7 })
afterAll(() => sim.close())
beforeEach(() => sim.reset())

const customer = async (email = 'a@example.com'): Promise<string> =>
  (await call(sim, 'POST', '/v1/customers', { form: { email } })).body.id as string

describe('stripe profile: authentication', () => {
  it('hands out a test-mode secret key and a webhook secret', () => {
    expect(sim.credentials.apiKey).toMatch(/^sk_test_[0-9A-Za-z]{24}$/)
    expect(sim.credentials.webhookSecret).toMatch(/^whsec_/)
  })

  it('answers 401 without a key, with an unknown key, and with the live key of a test account', async () => {
    const missing = await call(sim, 'GET', '/v1/customers', { key: null })
    expect(missing.status).toBe(401)
    expect(missing.body.error?.message).toMatch(/^You did not provide an API key/)
    const unknown = await call(sim, 'GET', '/v1/customers', { key: 'sk_test_nope1234' })
    expect(unknown.status).toBe(401)
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error' })
    expect(unknown.body.error?.message).toMatch(/^Invalid API Key provided: sk_test_\**1234$/)
    const live = sim.credentials.apiKey!.replace('sk_test_', 'sk_live_')
    expect((await call(sim, 'GET', '/v1/customers', { key: live })).status).toBe(401)
  })

  it('in live mode takes sk_live_ keys only and admits 100 requests per second', async () => {
    const live = await createSimulator({ clock, stripe: { mode: 'live' } })
    try {
      expect(live.credentials.apiKey).toMatch(/^sk_live_/)
      const test = live.credentials.apiKey!.replace('sk_live_', 'sk_test_')
      expect((await call(live, 'GET', '/v1/customers', { key: test })).status).toBe(401)
      const statuses = []
      for (let i = 0; i < 101; i++) statuses.push((await call(live, 'GET', '/v1/customers')).status)
      expect(statuses.filter((s) => s === 200)).toHaveLength(100)
      expect(statuses[100]).toBe(429)
    } finally {
      await live.close()
    }
  })

  it('accepts the key through basic auth too', async () => {
    const basic = Buffer.from(`${sim.credentials.apiKey}:`).toString('base64')
    const reply = await call(sim, 'GET', '/v1/customers', {
      key: null,
      headers: { authorization: `Basic ${basic}` },
    })
    expect(reply.status).toBe(200)
  })
})

describe('stripe profile: resources', () => {
  it('creates, retrieves, updates and deletes customers, recording events', async () => {
    const created = await call(sim, 'POST', '/v1/customers', {
      form: { email: 'x@example.com', 'metadata[plan]': 'pro' },
    })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({
      object: 'customer',
      email: 'x@example.com',
      metadata: { plan: 'pro' },
    })
    expect(created.headers.get('request-id')).toMatch(/^req_/)
    const id = created.body.id as string
    expect(id).toMatch(/^cus_/)
    await call(sim, 'POST', `/v1/customers/${id}`, { form: { name: 'X' } })
    expect((await call(sim, 'GET', `/v1/customers/${id}`)).body).toMatchObject({
      name: 'X',
      email: 'x@example.com',
    })
    expect((await call(sim, 'DELETE', `/v1/customers/${id}`)).body).toMatchObject({
      id,
      deleted: true,
    })
    const events = await call(sim, 'GET', '/v1/events')
    expect((events.body.data as { type: string }[]).map((e) => e.type)).toEqual([
      'customer.deleted',
      'customer.updated',
      'customer.created',
    ])
  })

  it('answers missing resources and parameters the way Stripe does', async () => {
    const missing = await call(sim, 'GET', '/v1/customers/cus_nope')
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatchObject({
      code: 'resource_missing',
      message: "No such customer: 'cus_nope'",
    })
    const noAmount = await call(sim, 'POST', '/v1/charges', { form: { currency: 'usd' } })
    expect(noAmount.status).toBe(400)
    expect(noAmount.body.error).toMatchObject({
      code: 'parameter_missing',
      message: 'Missing required param: amount.',
    })
    expect((await call(sim, 'GET', '/v1/nothing')).status).toBe(404)
  })

  it('refunds a charge in parts and refuses more than is left', async () => {
    const charge = await call(sim, 'POST', '/v1/charges', {
      form: { amount: '1000', currency: 'USD' },
    })
    expect(charge.body).toMatchObject({ status: 'succeeded', currency: 'usd', amount_refunded: 0 })
    const id = charge.body.id as string
    expect(
      (await call(sim, 'POST', '/v1/refunds', { form: { charge: id, amount: '400' } })).status,
    ).toBe(200)
    const tooMuch = await call(sim, 'POST', '/v1/refunds', { form: { charge: id, amount: '700' } })
    expect(tooMuch.status).toBe(400)
    expect((await call(sim, 'POST', '/v1/refunds', { form: { charge: id } })).body).toMatchObject({
      amount: 600,
    })
    expect((await call(sim, 'GET', `/v1/charges/${id}`)).body).toMatchObject({
      amount_refunded: 1000,
      refunded: true,
    })
    expect((await call(sim, 'GET', `/v1/refunds?charge=${id}`)).body.data).toHaveLength(2)
  })

  it('lists subscriptions without canceled ones unless status=all', async () => {
    const cus = await customer()
    const subscribe = () =>
      call(sim, 'POST', '/v1/subscriptions', {
        form: { customer: cus, 'items[0][price]': 'price_1' },
      })
    const first = (await subscribe()).body
    const second = (await subscribe()).body
    expect(first).toMatchObject({
      status: 'active',
      items: { data: [{ price: { id: 'price_1' } }] },
    })
    expect(
      (await call(sim, 'DELETE', `/v1/subscriptions/${first.id as string}`)).body,
    ).toMatchObject({ status: 'canceled' })
    const ids = async (query: string) =>
      ((await call(sim, 'GET', `/v1/subscriptions${query}`)).body.data as { id: string }[]).map(
        (s) => s.id,
      )
    expect(await ids('')).toEqual([second.id])
    expect(await ids('?status=all')).toEqual([second.id, first.id])
    expect(await ids('?status=canceled')).toEqual([first.id])
  })

  it('paginates newest first with limit, starting_after, ending_before and created filters', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(await customer(`${i}@example.com`))
      await clock.advance(1_000)
    }
    const newestFirst = [...ids].reverse()
    const page = async (query: string) => {
      const { body } = await call(sim, 'GET', `/v1/customers?${query}`)
      return { ids: (body.data as { id: string }[]).map((c) => c.id), hasMore: body.has_more }
    }
    expect(await page('limit=2')).toEqual({ ids: newestFirst.slice(0, 2), hasMore: true })
    expect(await page(`limit=2&starting_after=${newestFirst[1]}`)).toEqual({
      ids: newestFirst.slice(2, 4),
      hasMore: true,
    })
    expect(await page(`limit=2&starting_after=${newestFirst[3]}`)).toEqual({
      ids: newestFirst.slice(4),
      hasMore: false,
    })
    expect(await page(`limit=2&ending_before=${newestFirst[3]}`)).toEqual({
      ids: newestFirst.slice(1, 3),
      hasMore: true,
    })
    const second = Math.floor(clock.now() / 1_000) - 4
    expect((await page(`created[gte]=${second}&created[lt]=${second + 2}`)).ids).toEqual([
      ids[2],
      ids[1],
    ])
    expect((await call(sim, 'GET', '/v1/customers?limit=0')).status).toBe(400)
    expect((await call(sim, 'GET', '/v1/customers?starting_after=cus_gone')).status).toBe(400)
  })
})

describe('stripe profile: idempotency keys', () => {
  const refund = (key: string, amount: string, charge: string) =>
    call(sim, 'POST', '/v1/refunds', {
      form: { charge, amount },
      headers: { 'idempotency-key': key },
    })

  it('replays the stored response for the same key and parameters, without executing again', async () => {
    const charge = (
      await call(sim, 'POST', '/v1/charges', { form: { amount: '500', currency: 'usd' } })
    ).body.id as string
    const first = await refund('k1', '100', charge)
    const again = await refund('k1', '100', charge)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.headers.get('original-request')).toBe(first.headers.get('request-id'))
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect((await call(sim, 'GET', `/v1/charges/${charge}`)).body.amount_refunded).toBe(100)
    expect(sim.stats().routes['POST /v1/refunds']).toMatchObject({
      executions: 1,
      duplicateExecutionsByIdempotencyKey: 0,
    })
  })

  it('refuses the same key with other parameters', async () => {
    const charge = (
      await call(sim, 'POST', '/v1/charges', { form: { amount: '500', currency: 'usd' } })
    ).body.id as string
    await refund('k2', '100', charge)
    const other = await refund('k2', '200', charge)
    expect(other.status).toBe(400)
    expect(other.body.error?.type).toBe('idempotency_error')
  })

  it('refuses the same key while the first request is still executing', async () => {
    sim.setFaults([{ route: 'POST /v1/customers', sequence: [{ kind: 'latency', ms: 1_000 }] }])
    const send = () =>
      call(sim, 'POST', '/v1/customers', {
        form: { email: 'slow@example.com' },
        headers: { 'idempotency-key': 'k3' },
      })
    const slow = send()
    while (sim.stats().total.requests < 1) await new Promise((r) => setImmediate(r))
    const conflict = await send()
    expect(conflict.status).toBe(409)
    expect(conflict.body.error?.type).toBe('idempotency_error')
    expect(conflict.headers.get('stripe-should-retry')).toBe('true')
    await clock.advance(1_000)
    expect((await slow).status).toBe(200)
    expect((await send()).headers.get('idempotent-replayed')).toBe('true')
  })

  it('frees a key whose request failed validation, so a corrected retry executes', async () => {
    const bad = await call(sim, 'POST', '/v1/charges', {
      form: { currency: 'usd' },
      headers: { 'idempotency-key': 'k4' },
    })
    expect(bad.status).toBe(400)
    const good = await call(sim, 'POST', '/v1/charges', {
      form: { amount: '10', currency: 'usd' },
      headers: { 'idempotency-key': 'k4' },
    })
    expect(good.status).toBe(200)
  })

  it('expires a key after 24 hours', async () => {
    await call(sim, 'POST', '/v1/customers', {
      form: { email: 'e@example.com' },
      headers: { 'idempotency-key': 'k5' },
    })
    await clock.advance(24 * 60 * 60 * 1_000)
    const later = await call(sim, 'POST', '/v1/customers', {
      form: { email: 'e@example.com' },
      headers: { 'idempotency-key': 'k5' },
    })
    expect(later.headers.get('idempotent-replayed')).toBeNull()
    expect(sim.stats().total.duplicateExecutionsByIdempotencyKey).toBe(1)
  })
})

describe('stripe profile: rate limits', () => {
  it('admits a burst of 25 in test mode, then answers 429 with Stripe-Should-Retry and no reset headers', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 26; i++) statuses.push((await call(sim, 'GET', '/v1/customers')).status)
    expect(statuses.slice(0, 25).every((s) => s === 200)).toBe(true)
    const limited = await call(sim, 'GET', '/v1/customers')
    expect(statuses[25]).toBe(429)
    expect(limited.body.error).toMatchObject({ code: 'rate_limit' })
    expect(limited.headers.get('stripe-should-retry')).toBe('true')
    expect(limited.headers.get('stripe-rate-limited-reason')).toBe('global-rate')
    expect(limited.headers.get('retry-after')).toBeNull()
    expect(limited.headers.get('x-ratelimit-reset')).toBeNull()
    expect(sim.stats().total.rateLimited).toBe(2)
  })

  it('refills at 25 per second', async () => {
    for (let i = 0; i < 25; i++) await call(sim, 'GET', '/v1/customers')
    expect((await call(sim, 'GET', '/v1/customers')).status).toBe(429)
    await clock.advance(40) // one token
    expect((await call(sim, 'GET', '/v1/customers')).status).toBe(200)
    expect((await call(sim, 'GET', '/v1/customers')).status).toBe(429)
    await clock.advance(1_000)
    const burst = await Promise.all(
      Array.from({ length: 26 }, () => call(sim, 'GET', '/v1/customers')),
    )
    expect(burst.filter((r) => r.status === 200)).toHaveLength(25)
  })

  it('limits requests in flight at once', async () => {
    const limited = await createSimulator({
      clock,
      stripe: { concurrency: 2, ratePerSecond: 1_000 },
    })
    try {
      limited.setFaults([{ probability: 1, fault: { kind: 'latency', ms: 500 } }])
      const slow = [call(limited, 'GET', '/v1/customers'), call(limited, 'GET', '/v1/customers')]
      while (limited.stats().total.requests < 2) await new Promise((r) => setImmediate(r))
      const third = await call(limited, 'GET', '/v1/customers')
      expect(third.status).toBe(429)
      expect(third.headers.get('stripe-rate-limited-reason')).toBe('global-concurrency')
      await clock.advance(500)
      expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200])
      expect(limited.stats().total.peakConcurrency).toBe(3)
    } finally {
      await limited.close()
    }
  })
})
