import { describe, expect, it } from 'vitest'
import { circuitBreaker, CircuitOpenError } from '../policies/index.js'
import { FakeClock } from '../time/index.js'
import { createClient, encodeForm, type Transport, type TransportResponse } from './index.js'

function reply(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): TransportResponse {
  const bytes = Buffer.from(body)
  return {
    status,
    headers,
    body: {
      text: async () => body,
      dump: async () => {},
      async *[Symbol.asyncIterator]() {
        yield bytes.subarray(0, 3)
        yield bytes.subarray(3)
      },
    },
  }
}

describe('createClient with a scripted transport', () => {
  it('asks for the authorization on every attempt, so a refreshed token is used by the retry', async () => {
    const seen: string[] = []
    let token = 'old'
    const transport: Transport = async (request) => {
      seen.push(request.headers.authorization ?? '')
      token = 'new'
      return seen.length === 1
        ? reply(503, '')
        : reply(200, '{"ok":true}', { 'content-type': 'application/json' })
    }
    const client = createClient({
      baseUrl: 'https://api.example.com',
      transport,
      authorization: () => `Bearer ${token}`,
      retry: { backoff: { delay: () => 0 } },
    })
    expect((await client.get('/x')).body).toEqual({ ok: true })
    expect(seen).toEqual(['Bearer old', 'Bearer new'])
  })

  it("takes a call's own credential and 401 handler over the client's", async () => {
    const seen: string[] = []
    const transport: Transport = async (request) => {
      seen.push(request.headers.authorization ?? '')
      return request.headers.authorization === 'Bearer stale' ? reply(401, '') : reply(200, '')
    }
    const client = createClient({
      baseUrl: 'https://api.example.com',
      transport,
      credential: 'client-wide',
    })
    let token = 'stale'
    const refreshedFor: string[] = []
    const answer = await client.get('/x', {
      credential: () => Promise.resolve(token),
      onUnauthorized: (used) => {
        refreshedFor.push(used)
        token = 'fresh'
        return true
      },
    })
    expect(answer.status).toBe(200)
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh'])
    expect(refreshedFor).toEqual(['stale'])
    await client.get('/y')
    expect(seen.at(-1)).toBe('Bearer client-wide')
  })

  it("surfaces a credential function's own error, sending nothing and retrying nothing", async () => {
    let sent = 0
    const transport: Transport = async () => (sent++, reply(200, ''))
    const client = createClient({ baseUrl: 'https://api.example.com', transport })
    const refused = new Error('connection needs authorizing')
    await expect(client.get('/x', { credential: () => Promise.reject(refused) })).rejects.toBe(
      refused,
    )
    expect(sent).toBe(0)
  })

  it('streams a successful body without reading it', async () => {
    const transport: Transport = async () => reply(200, 'chunked body')
    const client = createClient({ baseUrl: 'https://api.example.com', transport })
    const response = await client.get<AsyncIterable<Uint8Array>>('/file', { stream: true })
    const chunks: string[] = []
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk).toString())
    expect(chunks).toEqual(['chu', 'nked body'])
  })

  it('keeps the caller’s idempotency key across retries, and generates one per POST otherwise', async () => {
    const keys: (string | undefined)[] = []
    const transport: Transport = async (request) => {
      keys.push(request.headers['idempotency-key'])
      return keys.length % 2 === 1 ? reply(502, '') : reply(200, '')
    }
    const client = createClient({
      baseUrl: 'https://api.example.com',
      transport,
      idempotencyHeader: 'Idempotency-Key',
      retry: { backoff: { delay: () => 0 } },
    })
    await client.post('/refunds', { idempotencyKey: 'refund:42' })
    await client.post('/refunds')
    expect(keys[0]).toBe('refund:42')
    expect(keys[1]).toBe('refund:42')
    expect(keys[2]).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys[3]).toBe(keys[2])
    await client.get('/refunds')
    expect(keys[4]).toBeUndefined()
  })

  it('encodes nested forms and queries in bracket notation', () => {
    expect(
      decodeURIComponent(
        encodeForm({
          amount: 5,
          metadata: { order: 'a b' },
          items: [{ price: 'p' }],
          skip: undefined,
        }),
      ),
    ).toBe('amount=5&metadata[order]=a+b&items[0][price]=p')
  })

  it('stops sending while its circuit breaker is open, and says so naming the call', async () => {
    const clock = new FakeClock({ now: 0 })
    let sent = 0
    const transport: Transport = async () => {
      sent++
      return reply(503, '')
    }
    const client = createClient({
      baseUrl: 'https://api.example.com',
      transport,
      clock,
      retry: { maxAttempts: 5, backoff: { delay: () => 0 } },
      policies: [circuitBreaker({ consecutiveFailures: 2, openMs: 10_000, clock })],
    })
    let error: unknown
    const call = client.get('/x').catch((e: unknown) => (error = e))
    while (error === undefined) await clock.advance(0)
    await call
    expect(sent).toBe(2) // the breaker opened after two 503s; the retry was refused unsent
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect((error as CircuitOpenError).retryAfterMs).toBe(10_000)
    expect((error as Error).message).toMatch(/^GET https:\/\/api\.example\.com\/x was not sent \(/)
  })
})
