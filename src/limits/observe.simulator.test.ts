// The project's provider simulator as a fixture: what each profile sends, the parser reads.
import { afterAll, describe, expect, it } from 'vitest'
import { createSimulator, type Simulator, type SimulatorOptions } from '../simulator/index.js'
import { FakeClock } from '../time/index.js'
import { parseRateLimitHeaders, type RateLimitObservation } from './index.js'

const open: Simulator[] = []
afterAll(() => Promise.all(open.map((s) => s.close())))

async function start(options: SimulatorOptions) {
  const clock = new FakeClock({ now: Date.UTC(2026, 0, 1, 12) })
  const sim = await createSimulator({ ...options, clock })
  open.push(sim)
  // The simulator's Date header is the wall clock, days from the fake one: the parser must
  // fall back to `now` for absolute resets.
  const observe = async (
    path: string,
    init: RequestInit = {},
  ): Promise<RateLimitObservation & { status: number }> => {
    const response = await fetch(sim.url + path, init)
    await response.arrayBuffer()
    const observed = parseRateLimitHeaders(response.headers, { now: clock.now() })
    return { status: response.status, ...observed }
  }
  return { sim, clock, observe }
}

describe('the simulator profiles, read back', () => {
  it('generic: IETF draft-11 windows', async () => {
    const { sim, observe } = await start({
      profile: 'generic',
      generic: {
        quotas: [
          { name: 'burst', limit: 2, windowSeconds: 10 },
          { name: 'daily', limit: 3, windowSeconds: 86_400 },
        ],
      },
    })
    const headers = { authorization: `Bearer ${sim.credentials.apiKey}` }
    expect(await observe('/items', { headers })).toMatchObject({
      windows: [
        { name: 'burst', limit: 2, windowMs: 10_000, remaining: 1, resetMs: 10_000 },
        { name: 'daily', limit: 3, windowMs: 86_400_000, remaining: 2, resetMs: 86_400_000 },
      ],
    })
    await observe('/items', { headers })
    expect(await observe('/items', { headers })).toMatchObject({
      status: 429,
      retryAfterMs: 10_000,
      windows: [
        { name: 'burst', remaining: 0 },
        { name: 'daily', remaining: 1 },
      ],
    })
  })

  it('github: the core resource over an hour, reset from an epoch', async () => {
    const { sim, observe } = await start({ profile: 'github', github: { perHour: 3 } })
    const headers = { authorization: `Bearer ${sim.credentials.token}` }
    expect(await observe('/user', { headers })).toEqual({
      status: 200,
      windows: [{ name: 'core', limit: 3, remaining: 2, resetMs: 3_600_000, windowMs: 3_600_000 }],
    })
  })

  it('openai: requests and tokens with Go-duration resets', async () => {
    const { sim, observe } = await start({
      profile: 'openai',
      openai: { requestsPerMinute: 500, tokensPerMinute: 200_000 },
    })
    const observed = await observe('/v1/embeddings', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sim.credentials.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'x'.repeat(400) }),
    })
    expect(observed).toEqual({
      status: 200,
      windows: [
        // One request of 500 a minute takes 120 ms to come back.
        { name: 'requests', limit: 500, remaining: 499, resetMs: 120 },
        // 100 tokens of 200,000 a minute take 30 ms.
        { name: 'tokens', limit: 200_000, remaining: 199_900, resetMs: 30, unit: 'tokens' },
      ],
    })
  })

  it('shopify: the REST call limit', async () => {
    const { sim, observe } = await start({ profile: 'shopify' })
    const headers = { 'x-shopify-access-token': sim.credentials.accessToken as string }
    expect(await observe('/admin/api/2024-01/products.json', { headers })).toEqual({
      status: 200,
      windows: [{ name: 'calls', limit: 40, remaining: 39 }],
    })
  })

  it('xero: remaining per window, and the exhausted one on a 429', async () => {
    const { sim, observe } = await start({ profile: 'xero', xero: { perMinute: 1 } })
    const client = `${sim.credentials.clientId}:${sim.credentials.clientSecret}`
    const grant = await fetch(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(client).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    const { access_token } = (await grant.json()) as { access_token: string }
    const headers = {
      authorization: `Bearer ${access_token}`,
      'xero-tenant-id': sim.credentials.tenantId as string,
    }
    expect(await observe('/api.xro/2.0/Invoices', { headers })).toEqual({
      status: 200,
      windows: [
        { name: 'day', remaining: 4_999, windowMs: 86_400_000 },
        { name: 'minute', remaining: 0, windowMs: 60_000 },
        { name: 'app-minute', remaining: 9_999, windowMs: 60_000 },
      ],
    })
    expect(await observe('/api.xro/2.0/Invoices', { headers })).toEqual({
      status: 429,
      retryAfterMs: 60_000,
      windows: [
        { name: 'day', remaining: 4_999, windowMs: 86_400_000 },
        { name: 'minute', remaining: 0, windowMs: 60_000 },
        { name: 'app-minute', remaining: 9_999, windowMs: 60_000 },
      ],
    })
  })
})
