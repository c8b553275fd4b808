import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import {
  createClient,
  type ProviderPreset,
  type Transport,
  type TransportRequest,
} from './index.js'

const ok: Transport = async () => ({
  status: 200,
  headers: {},
  body: { text: async () => '', dump: async () => {}, async *[Symbol.asyncIterator]() {} },
})

// A provider with a path in its base URL, a placeholder, a tenant header and a limit.
const shop: ProviderPreset = {
  name: 'shop',
  environments: {
    live: { baseUrl: 'https://{shop}.example.com/admin/api/2025-01' },
    sandbox: {
      baseUrl: 'https://{shop}.sandbox.example.com/admin/api/2025-01',
      quotas: [{ name: 'second', limit: 1, windowMs: 1_000 }],
    },
  },
  defaultEnvironment: 'live',
  auth: { kind: 'header', name: 'x-shop-token' },
  headers: { 'x-tenant': '{tenant}' },
  idempotencyHeader: 'Idempotency-Key',
  quotas: [{ name: 'second', limit: 2, windowMs: 1_000 }],
  rules: [{ reason: 'shop said busy', verdict: 'retry', matches: (f) => f.status === 409 }],
}

function recording() {
  const sent: TransportRequest[] = []
  const transport: Transport = async (request) => {
    sent.push(request)
    return ok(request, new AbortController().signal)
  }
  return { sent, transport }
}

describe('a client made from a provider preset', () => {
  it('fills placeholders, joins paths under the base path, and sends the credential its way', async () => {
    const { sent, transport } = recording()
    const client = createClient({
      provider: shop,
      params: { shop: 'acme', tenant: 't-1' },
      credential: () => 'tok_123',
      transport,
    })
    await client.post('/products.json', { json: {} })
    expect(client.name).toBe('shop')
    expect(sent[0]!.url.href).toBe('https://acme.example.com/admin/api/2025-01/products.json')
    expect(sent[0]!.headers).toMatchObject({ 'x-shop-token': 'tok_123', 'x-tenant': 't-1' })
    expect(sent[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('lets a base URL, a header and the keyed methods be overridden without doubling', async () => {
    const { sent, transport } = recording()
    const client = createClient({
      provider: { ...shop, idempotencyMethods: ['POST', 'PUT'] },
      baseUrl: 'http://127.0.0.1:9/admin',
      params: { tenant: 't' }, // no shop: the base URL given needs none
      headers: { 'X-Tenant': 'override' },
      transport,
    })
    await client.put('/thing', { json: {} })
    expect(sent[0]!.url.href).toBe('http://127.0.0.1:9/admin/thing')
    expect(Object.keys(sent[0]!.headers).filter((h) => h.toLowerCase() === 'x-tenant')).toEqual([
      'x-tenant',
    ])
    expect(sent[0]!.headers['x-tenant']).toBe('override')
    expect(sent[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('formats bearer, basic and query credentials', async () => {
    const { sent, transport } = recording()
    for (const auth of [
      { kind: 'bearer' },
      { kind: 'basic' },
      { kind: 'query', name: 'key' },
    ] as const) {
      await createClient({
        baseUrl: 'https://api.example.com',
        credential: 'AC1:secret',
        auth,
        transport,
      }).get('/x?a=1')
    }
    expect(sent.map((r) => r.headers.authorization)).toEqual([
      'Bearer AC1:secret',
      `Basic ${Buffer.from('AC1:secret').toString('base64')}`,
      undefined,
    ])
    expect(sent[2]!.url.search).toBe('?a=1&key=AC1%3Asecret')
  })

  it("limits with the environment's quotas by default, and not at all with limiter: false", async () => {
    const clock = new FakeClock({ now: 0 })
    const params = { shop: 'acme', tenant: 't' }
    const { transport } = recording()
    const sandbox = createClient({
      provider: shop,
      environment: 'sandbox',
      params,
      transport,
      clock,
    })
    expect(await sandbox.limiter?.usage()).toEqual({ second: { used: 0, limit: 1 } })
    await sandbox.get('/a')
    await expect(sandbox.get('/b', { deadlineMs: 500 })).rejects.toMatchObject({
      code: 'SEAM_ERR_RATE_LIMITED',
    })
    const unlimited = createClient({ provider: shop, params, transport, limiter: false })
    expect(unlimited.limiter).toBeUndefined()
  })

  it("retries on the preset's own signals", async () => {
    let calls = 0
    const transport: Transport = async (request, signal) => {
      calls++
      return calls === 1 ? { ...(await ok(request, signal)), status: 409 } : ok(request, signal)
    }
    const client = createClient({
      provider: shop,
      params: { shop: 'a', tenant: 't' },
      transport,
      retry: { backoff: { delay: () => 0 } },
    })
    const response = await client.get('/x')
    expect(response.attempts.map((a) => a.reason)).toEqual(['shop said busy (409)', 'ok'])
  })

  it('refuses what it cannot resolve, naming it', () => {
    expect(() => createClient({ provider: shop, params: { tenant: 't' } })).toThrow(
      "createClient params.shop is needed by shop's live base URL (https://{shop}.example.com/admin/api/2025-01) and was not given",
    )
    expect(() => createClient({ provider: shop, environment: 'staging' })).toThrow(
      'createClient environment is "staging", which shop does not have (it has live, sandbox)',
    )
    expect(() => createClient({ provider: shop, params: { shop: 'a', tenant: 'x\r\ny' } })).toThrow(
      /params must not hold line breaks/,
    )
    expect(() => createClient({})).toThrow(
      'createClient baseUrl is needed when no provider is given',
    )
    expect(() => createClient({ baseUrl: 'not a url' })).toThrow(/baseUrl is not a URL/)
  })
})
