import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { asApp, proxyGateway, proxyToken } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const store = useTempSqliteFile('proxy.sqlite')

describe('egress proxy', () => {
  let sim: Simulator
  let gateway: Gateway

  beforeAll(async () => {
    sim = await createSimulator({ profile: 'stripe', seed: 11 })
    gateway = await proxyGateway(
      store,
      { stripe: { baseUrl: sim.url, credentials: { apiKey: 'STRIPE_SECRET_KEY' } } },
      { STRIPE_SECRET_KEY: sim.credentials.apiKey },
    )
  })
  afterAll(async () => {
    await gateway?.stop()
    await sim?.close()
  })

  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  it('injects the credential in place of the proxy token the app sends', async () => {
    expect((await fetch(`${sim.url}/v1/customers`)).status).toBe(401)
    const answer = await gateway.app.inject({
      url: '/proxy/stripe/v1/customers?limit=3',
      headers: { authorization: `Bearer ${proxyToken}` },
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toMatchObject({ object: 'list' })
  })

  it("keeps the app's Idempotency-Key, so a repeated POST executes once", async () => {
    const call = () =>
      asApp(gateway)({
        method: 'POST',
        url: '/proxy/stripe/v1/customers',
        headers: { ...form, 'idempotency-key': 'create-customer-42' },
        payload: 'email=a%40example.com',
      })
    const first = await call()
    const second = await call()
    expect(first.statusCode).toBe(200)
    expect(second.json()).toEqual(first.json())
    expect(sim.stats().routes['POST /v1/customers']?.executions).toBe(1)
  })

  it('derives one key from X-Seamline-Operation-Id, the same on every call of the operation', async () => {
    const call = () =>
      asApp(gateway)({
        method: 'POST',
        url: '/proxy/stripe/v1/customers',
        headers: { ...form, 'x-seamline-operation-id': 'signup:7' },
        payload: 'email=b%40example.com',
      })
    const first = await call()
    const second = await call()
    expect(second.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id)
    expect(sim.stats().routes['POST /v1/customers']?.executions).toBe(2)
    expect(sim.stats().routes['POST /v1/customers']?.duplicateExecutionsByIdempotencyKey).toBe(0)
  })

  it("passes the provider's error answers through", async () => {
    const answer = await asApp(gateway)({ url: '/proxy/stripe/v1/customers/cus_missing' })
    expect(answer.statusCode).toBe(404)
    expect(answer.json()).toMatchObject({ error: { type: 'invalid_request_error' } })
  })

  it('reaches only the configured base URL: escapes, other hosts and unknown providers are refused', async () => {
    const url = await gateway.start(0, '127.0.0.1')
    const { port } = new URL(url)
    // Raw request targets, as a client may send them (fetch and inject would normalise them).
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const headers = { authorization: `Bearer ${proxyToken}` }
        const request = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        })
        request.on('error', reject)
        request.end()
      })
    for (const path of [
      '/proxy/stripe/../admin',
      '/proxy/stripe/%2e%2e/admin',
      '/proxy/stripe/v1/%2E%2E/%2e%2e/x',
      '/proxy/stripe//evil.example/v1/customers',
      '/proxy/stripe/v1%2f..%2fx',
      '/proxy/stripe/v1\\..\\x',
      '/proxy/stripe/./v1/customers',
      '/proxy/stripe/http://evil.example/',
    ]) {
      const answer = await get(path)
      expect(answer.status, path).toBe(400)
      // In Stripe's words, so its SDK reads it.
      expect(JSON.parse(answer.body), path).toMatchObject({ error: { code: 'bad_path' } })
    }
    expect((await get('/proxy/stripe/v1/customers')).status).toBe(200)
    expect((await get('/proxy/github/user')).status).toBe(404)
    expect((await get('/proxy/toString/x')).status).toBe(404)
    // Nothing refused reached the provider.
    expect(Object.keys(sim.stats().routes).sort()).toEqual([
      'GET /v1/customers',
      'GET /v1/customers/:id',
      'POST /v1/customers',
    ])
  })

  it('counts attempts by status, retries, quota waits and the breaker state in /metrics', async () => {
    // One 503, then answers: the proxy retries it.
    sim.setFaults([{ route: 'GET /v1/charges', sequence: [{ kind: 'status', status: 503 }] }])
    // Past the test-mode quota (25/s): some calls wait for room.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => asApp(gateway)({ url: '/proxy/stripe/v1/charges' })),
    )
    sim.setFaults([])
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200))
    const text = (await gateway.app.inject({ url: '/metrics' })).body
    const value = (line: string) => Number(new RegExp(`^${line} (\\S+)$`, 'm').exec(text)?.[1])
    expect(value('seamline_upstream_attempts_total\\{provider="stripe",status="503"\\}')).toBe(1)
    expect(value('seamline_upstream_retries_total\\{provider="stripe"\\}')).toBe(1)
    expect(value('seamline_rate_limit_waits_total\\{subject="stripe"\\}')).toBeGreaterThan(0)
    expect(value('seamline_circuit_state\\{provider="stripe"\\}')).toBe(0)
  })
})
