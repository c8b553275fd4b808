import { afterAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../time/index.js'
import { goDuration } from '../duration.js'
import { createSimulator, type Simulator, type SimulatorOptions } from '../simulator.js'

const open: Simulator[] = []
afterAll(() => Promise.all(open.map((s) => s.close())))

async function start(options: SimulatorOptions): Promise<{ sim: Simulator; clock: FakeClock }> {
  const clock = new FakeClock({ now: Date.UTC(2026, 0, 1, 12) })
  const sim = await createSimulator({ ...options, clock })
  open.push(sim)
  return { sim, clock }
}

async function send(
  sim: Simulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(sim.url + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

describe('github profile', () => {
  it('counts down x-ratelimit-* over an hourly window that opens with the first request', async () => {
    const { sim, clock } = await start({ profile: 'github', github: { perHour: 3 } })
    const auth = { authorization: `Bearer ${sim.credentials.token}` }
    const opened = clock.now()
    const reset = String(Math.ceil((opened + 3_600_000) / 1_000))
    const seen = []
    for (let i = 0; i < 3; i++) {
      const { status, headers } = await send(sim, 'GET', '/user', auth)
      seen.push([status, headers.get('x-ratelimit-remaining'), headers.get('x-ratelimit-used')])
      expect(headers.get('x-ratelimit-limit')).toBe('3')
      expect(headers.get('x-ratelimit-reset')).toBe(reset)
      expect(headers.get('x-ratelimit-resource')).toBe('core')
    }
    expect(seen).toEqual([
      [200, '2', '1'],
      [200, '1', '2'],
      [200, '0', '3'],
    ])
    const over = await send(sim, 'GET', '/user', auth)
    expect(over.status).toBe(403)
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(over.body).toMatchObject({ message: 'API rate limit exceeded for user ID 1.' })
    await clock.advance(3_600_000 - 1)
    expect((await send(sim, 'GET', '/user', auth)).status).toBe(403)
    await clock.advance(1)
    const next = await send(sim, 'GET', '/user', auth)
    expect(next.status).toBe(200)
    expect(next.headers.get('x-ratelimit-remaining')).toBe('2')
    expect(next.headers.get('x-ratelimit-reset')).toBe(
      String(Math.ceil((clock.now() + 3_600_000) / 1_000)),
    )
  })

  it('answers the secondary limit with retry-after', async () => {
    const { sim, clock } = await start({ profile: 'github', github: { concurrency: 1 } })
    const auth = { authorization: `token ${sim.credentials.token}` }
    sim.setFaults([{ sequence: [{ kind: 'latency', ms: 100 }] }])
    const slow = send(sim, 'GET', '/user', auth)
    while (sim.stats().total.requests < 1) await new Promise((r) => setImmediate(r))
    const second = await send(sim, 'GET', '/user', auth)
    expect(second.status).toBe(403)
    expect(second.headers.get('retry-after')).toBe('60')
    expect(second.body).toMatchObject({
      message: expect.stringMatching(/secondary rate limit/) as unknown,
    })
    await clock.advance(100)
    expect((await slow).status).toBe(200)
  })

  it('pages issues with a Link header, and refuses bad credentials', async () => {
    const { sim } = await start({ profile: 'github' })
    const auth = { authorization: `Bearer ${sim.credentials.token}` }
    for (let i = 1; i <= 5; i++)
      await send(sim, 'POST', '/repos/o/r/issues', auth, { title: `#${i}` })
    const first = await send(sim, 'GET', '/repos/o/r/issues?per_page=2', auth)
    expect((first.body as { title: string }[]).map((i) => i.title)).toEqual(['#5', '#4'])
    expect(first.headers.get('link')).toBe(
      '</repos/o/r/issues?per_page=2&page=2>; rel="next", </repos/o/r/issues?per_page=2&page=3>; rel="last"',
    )
    const last = await send(sim, 'GET', '/repos/o/r/issues?per_page=2&page=3', auth)
    expect((last.body as { title: string }[]).map((i) => i.title)).toEqual(['#1'])
    expect(last.headers.get('link')).not.toContain('rel="next"')
    expect((await send(sim, 'POST', '/repos/o/r/issues', auth, {})).status).toBe(422)
    expect((await send(sim, 'GET', '/user', { authorization: 'Bearer ghp_wrong' })).status).toBe(
      401,
    )
  })
})

describe('shopify profile', () => {
  it('fills a 40-call bucket that leaks 2 per second, shown as n/40', async () => {
    const { sim, clock } = await start({ profile: 'shopify' })
    const auth = { 'x-shopify-access-token': sim.credentials.accessToken as string }
    const path = '/admin/api/2025-01/products.json'
    const limits = []
    for (let i = 0; i < 40; i++)
      limits.push((await send(sim, 'GET', path, auth)).headers.get('x-shopify-shop-api-call-limit'))
    expect(limits[0]).toBe('1/40')
    expect(limits[39]).toBe('40/40')
    const over = await send(sim, 'GET', path, auth)
    expect(over.status).toBe(429)
    expect(over.headers.get('retry-after')).toBe('2.0')
    expect(over.headers.get('x-shopify-shop-api-call-limit')).toBe('40/40')
    await clock.advance(499)
    expect((await send(sim, 'GET', path, auth)).status).toBe(429)
    await clock.advance(1) // one call has leaked out
    const after = await send(sim, 'GET', path, auth)
    expect(after.status).toBe(200)
    expect(after.headers.get('x-shopify-shop-api-call-limit')).toBe('40/40')
    await clock.advance(10_000)
    expect((await send(sim, 'GET', path, auth)).headers.get('x-shopify-shop-api-call-limit')).toBe(
      '21/40',
    )
  })

  it('creates and lists products, and refuses a wrong token', async () => {
    const { sim } = await start({ profile: 'shopify' })
    const auth = { 'x-shopify-access-token': sim.credentials.accessToken as string }
    const path = '/admin/api/2025-01/products.json'
    const created = await send(sim, 'POST', path, auth, { product: { title: 'Hat' } })
    expect(created.status).toBe(201)
    expect((await send(sim, 'GET', path, auth)).body).toMatchObject({
      products: [{ title: 'Hat' }],
    })
    expect((await send(sim, 'POST', path, auth, {})).status).toBe(400)
    expect((await send(sim, 'GET', path, { 'x-shopify-access-token': 'nope' })).status).toBe(401)
  })
})

describe('openai profile', () => {
  it('counts requests and tokens per minute with Go-style reset durations', async () => {
    const { sim, clock } = await start({
      profile: 'openai',
      openai: { requestsPerMinute: 3, tokensPerMinute: 1_000 },
    })
    const auth = { authorization: `Bearer ${sim.credentials.apiKey}` }
    const chat = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
      max_tokens: 100,
    }
    const first = await send(sim, 'POST', '/v1/chat/completions', auth, chat)
    expect(first.status).toBe(200)
    expect(
      Object.fromEntries([...first.headers].filter(([k]) => k.startsWith('x-ratelimit'))),
    ).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '20s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '800',
      'x-ratelimit-reset-tokens': '12s',
    })
    expect(first.body).toMatchObject({ object: 'chat.completion', usage: { prompt_tokens: 100 } })
    await send(sim, 'POST', '/v1/chat/completions', auth, chat)
    await send(sim, 'POST', '/v1/chat/completions', auth, chat)
    const limited = await send(sim, 'POST', '/v1/chat/completions', auth, chat)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after-ms')).toBe('20000')
    expect(limited.headers.get('retry-after')).toBe('20')
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('1m0s')
    expect(limited.body).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } })
    await clock.advance(20_000)
    expect((await send(sim, 'POST', '/v1/chat/completions', auth, chat)).status).toBe(200)
  })

  it('refuses a request whose tokens do not fit, saying how long until they do', async () => {
    const { sim } = await start({ profile: 'openai', openai: { tokensPerMinute: 600 } })
    const auth = { authorization: `Bearer ${sim.credentials.apiKey}` }
    const big = { messages: [{ role: 'user', content: 'x'.repeat(2_000) }], max_tokens: 100 }
    expect((await send(sim, 'POST', '/v1/chat/completions', auth, big)).status).toBe(200)
    const limited = await send(sim, 'POST', '/v1/chat/completions', auth, big)
    expect(limited.status).toBe(429)
    expect(limited.body).toMatchObject({ error: { type: 'tokens' } })
    expect(limited.headers.get('retry-after-ms')).toBe('60000')
    expect(
      (
        await send(
          sim,
          'POST',
          '/v1/embeddings',
          { authorization: 'Bearer sk-bad' },
          { input: 'x' },
        )
      ).status,
    ).toBe(401)
  })

  it('formats durations the way Go does', () => {
    expect([0, 20, 999, 1_000, 1_500, 60_000, 360_000, 3_723_500].map(goDuration)).toEqual([
      '0s',
      '20ms',
      '999ms',
      '1s',
      '1.5s',
      '1m0s',
      '6m0s',
      '1h2m3.5s',
    ])
  })
})

describe('generic profile', () => {
  it('speaks IETF RateLimit and RateLimit-Policy over every configured window', async () => {
    const { sim, clock } = await start({
      profile: 'generic',
      generic: {
        quotas: [
          { name: 'burst', limit: 2, windowSeconds: 10 },
          { name: 'daily', limit: 3, windowSeconds: 86_400 },
        ],
      },
    })
    const auth = { authorization: `Bearer ${sim.credentials.apiKey}` }
    const first = await send(sim, 'GET', '/items', auth)
    expect(first.headers.get('ratelimit-policy')).toBe('"burst";q=2;w=10, "daily";q=3;w=86400')
    expect(first.headers.get('ratelimit')).toBe('"burst";r=1;t=10, "daily";r=2;t=86400')
    await clock.advance(4_000)
    expect((await send(sim, 'GET', '/items', auth)).headers.get('ratelimit')).toBe(
      '"burst";r=0;t=6, "daily";r=1;t=86396',
    )
    const burst = await send(sim, 'GET', '/items', auth)
    expect(burst.status).toBe(429)
    expect(burst.headers.get('retry-after')).toBe('6')
    expect(burst.headers.get('content-type')).toBe('application/problem+json')
    expect(burst.body).toMatchObject({ 'violated-policies': ['burst'] })
    await clock.advance(6_000)
    expect((await send(sim, 'GET', '/items', auth)).headers.get('ratelimit')).toBe(
      '"burst";r=1;t=10, "daily";r=0;t=86390',
    )
    const daily = await send(sim, 'GET', '/items', auth)
    expect(daily.status).toBe(429)
    expect(daily.body).toMatchObject({ 'violated-policies': ['daily'] })
    expect(daily.headers.get('retry-after')).toBe('86390')
  })

  it('stores items and counts duplicate operations', async () => {
    const { sim } = await start({ profile: 'generic' })
    const auth = { authorization: `Bearer ${sim.credentials.apiKey}` }
    const created = await send(sim, 'POST', '/items', auth, { name: 'a', operation_id: 'op-1' })
    await send(sim, 'POST', '/items', auth, { name: 'a', operation_id: 'op-1' })
    expect(
      (await send(sim, 'GET', `/items/${(created.body as { id: string }).id}`, auth)).body,
    ).toMatchObject({ name: 'a' })
    expect(sim.stats().total).toMatchObject({ executions: 2, duplicateExecutionsByOperation: 1 })
  })
})
