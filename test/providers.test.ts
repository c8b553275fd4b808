import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createClient,
  HttpStatusError,
  parseRateLimitHeaders,
  undiciTransport,
  type ClientOptions,
  type ProviderPreset,
  type Transport,
  type TransportRequest,
} from '../src/http/index.js'
import { backoff } from '../src/policies/index.js'
import {
  github,
  googleMaps,
  hubspot,
  openai,
  resend,
  shopify,
  slack,
  stripe,
  twilio,
  xero,
} from '../src/providers/index.js'
import { createSimulator } from '../src/simulator/index.js'
import { FakeClock } from '../src/time/index.js'

// Clients built from the presets, their base URLs pointed at the provider simulator (stripe,
// github, shopify, xero, openai) or at a recording server on loopback (the others).
const clock = new FakeClock()
const HOUR = 3_600_000
const sims = {
  stripe: await createSimulator({ profile: 'stripe', clock }),
  github: await createSimulator({ profile: 'github', clock, github: { perHour: 1 } }),
  shopify: await createSimulator({ profile: 'shopify', clock }),
  xero: await createSimulator({ profile: 'xero', clock }),
  openai: await createSimulator({ profile: 'openai', clock }),
}

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}
interface Reply {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

// Records every request and answers the next scripted reply (200 `{"ok":true}` when none).
const seen: Seen[] = []
const replies: Reply[] = []
const recorder = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    })
    const reply = replies.shift() ?? { status: 200, body: { ok: true } }
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
    response.end(JSON.stringify(reply.body ?? {}))
  })
})
await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve))
const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`

afterAll(async () => {
  await Promise.all(Object.values(sims).map((sim) => sim.close()))
  recorder.closeAllConnections()
  await new Promise<void>((resolve, reject) =>
    recorder.close((error) => (error ? reject(error) : resolve())),
  )
})
beforeEach(() => {
  for (const sim of Object.values(sims)) sim.reset()
  seen.length = 0
  replies.length = 0
})

// The preset's base URL moved to `origin`, keeping its path (`/2010-04-01`, `/admin/api/…`).
function local(origin: string, preset: ProviderPreset): string {
  const template = preset.environments[preset.defaultEnvironment]?.baseUrl ?? ''
  const path = new URL(template.replace(/\{\w+\}/g, 'example')).pathname
  return `${origin}${path.replace(/\/$/, '')}`
}

// Keeps what the client sends, header names as it wrote them, then sends it.
function recording(): { sent: TransportRequest[]; transport: Transport } {
  const sent: TransportRequest[] = []
  const send = undiciTransport()
  return {
    sent,
    transport: (request, signal) => {
      sent.push(request)
      return send(request, signal)
    },
  }
}
const lower = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))

// A client of `preset` with the base URL given, on the fake clock.
const clientOf = (preset: ProviderPreset, options: Partial<ClientOptions> & { baseUrl: string }) =>
  createClient({ provider: preset, clock, ...options })

// Every window the response reports is one a quota of the preset is tuned by.
function expectReportedWindowsKnown(preset: ProviderPreset, headers: Record<string, string>) {
  const reported = (parseRateLimitHeaders(headers).windows ?? []).map((w) => w.name)
  const tuned = (preset.quotas ?? []).map((q) => q.reportedAs)
  expect(reported.length).toBeGreaterThan(0)
  expect(tuned).toEqual(expect.arrayContaining(reported))
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('presets against the provider simulator', () => {
  it('stripe: the secret key as bearer, an idempotency key on every POST, sandbox limits', async () => {
    const { sent, transport } = recording()
    const apiKey = sims.stripe.credentials.apiKey as string
    const client = clientOf(stripe, {
      baseUrl: local(sims.stripe.url, stripe),
      credential: apiKey,
      transport,
    })
    type Customer = { id: string; email: string }
    const form = { email: 'a@example.com' }
    const created = await client.post<Customer>('/v1/customers', {
      form,
      idempotencyKey: 'customer:a',
    })
    expect(created.status).toBe(200)
    const repeated = await client.post<Customer>('/v1/customers', {
      form,
      idempotencyKey: 'customer:a',
    })
    expect(repeated.headers['idempotent-replayed']).toBe('true')
    expect(repeated.body.id).toBe(created.body.id)
    await client.post('/v1/customers', { form: { email: 'b@example.com' } })

    expect(lower(sent[0]!.headers)).toMatchObject({
      authorization: `Bearer ${apiKey}`,
      'idempotency-key': 'customer:a',
    })
    expect(lower(sent[2]!.headers)['idempotency-key']).toMatch(uuid)
    expect(sims.stripe.stats().total.duplicateExecutionsByIdempotencyKey).toBe(0)
    // No environment named: the sandbox's 25 a second.
    expect((await client.limiter?.usage())?.second).toEqual({ used: 3, limit: 25 })
  })

  it('github: the token as bearer, with the Accept, API version and User-Agent GitHub requires', async () => {
    const { sent, transport } = recording()
    const token = sims.github.credentials.token as string
    const client = clientOf(github, { baseUrl: sims.github.url, credential: token, transport })
    const user = await client.get<{ login: string }>('/user')
    expect(user.body.login).toBe('octocat')
    expect(lower(sent[0]!.headers)).toMatchObject({
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'seamline',
    })
    expectReportedWindowsKnown(github, user.headers)
  })

  it("github: a 403 saying the primary limit is spent is retried, held until GitHub's reset", async () => {
    const token = sims.github.credentials.token as string
    const client = clientOf(github, {
      baseUrl: sims.github.url,
      credential: token,
      retry: { maxAttempts: 2, backoff: backoff({ strategy: 'none', baseMs: 1_000 }) },
      deadlineMs: 2 * HOUR,
    })
    // Time moves only as far as each wait asks.
    client.events.on('http:retry', (e) => void clock.advance(e.waitMs))
    client.limiter?.events.on('limit:wait', (e) => void clock.advance(e.waitMs))
    // Another process, which this client's limiter cannot see, spends the hour's one request.
    const elsewhere = createClient({ baseUrl: sims.github.url, credential: token, clock })
    const spent = await elsewhere.get('/user')
    const resetAt = Number(spent.headers['x-ratelimit-reset']) * 1_000
    const second = await client.get<{ login: string }>('/user')
    expect(second.body.login).toBe('octocat')
    expect(second.attempts).toEqual([
      { attempt: 1, status: 403, reason: 'primary rate limit exhausted (403)', waitMs: 1_000 },
      { attempt: 2, status: 200, reason: 'ok', waitMs: 0 },
    ])
    // The 403 reported the `core` window spent, so the retry waited for its reset.
    expect(clock.now()).toBeGreaterThanOrEqual(resetAt)
  })

  it('shopify: the access token in its header, under the pinned API version', async () => {
    const { sent, transport } = recording()
    const accessToken = sims.shopify.credentials.accessToken as string
    const client = clientOf(shopify, {
      // The base URL's {shop} is still required, though the URL is overridden.
      params: { shop: 'example' },
      baseUrl: local(sims.shopify.url, shopify),
      credential: accessToken,
      transport,
    })
    const created = await client.post<{ product: { title: string } }>('/products.json', {
      json: { product: { title: 'Mug' } },
    })
    expect(created.status).toBe(201)
    const listed = await client.get<{ products: unknown[] }>('/products.json')
    expect(listed.body.products).toHaveLength(1)
    expect(sent[0]!.url.pathname).toMatch(/^\/admin\/api\/\d{4}-\d{2}\/products\.json$/)
    expect(lower(sent[0]!.headers)).toMatchObject({ 'x-shopify-access-token': accessToken })
    // Shopify takes no idempotency header, so none is sent.
    expect(lower(sent[0]!.headers)['idempotency-key']).toBeUndefined()
    expect(lower(sent[0]!.headers).authorization).toBeUndefined()
    expectReportedWindowsKnown(shopify, listed.headers)
  })

  it('xero: an OAuth token as bearer, the tenant header and an idempotency key', async () => {
    const { clientId, clientSecret, tenantId } = sims.xero.credentials as Record<string, string>
    const auth = createClient({
      baseUrl: sims.xero.url,
      auth: { kind: 'basic' },
      credential: `${clientId}:${clientSecret}`,
      clock,
    })
    const grant = await auth.post<{ access_token: string }>('/oauth/token', {
      form: { grant_type: 'client_credentials' },
    })
    const accessToken = grant.body.access_token
    const { sent, transport } = recording()
    const client = clientOf(xero, {
      baseUrl: local(sims.xero.url, xero),
      params: { tenantId: tenantId! },
      credential: accessToken,
      transport,
    })
    const created = await client.post<{ Invoices: { InvoiceID: string }[] }>('/Invoices', {
      json: { Invoices: [{ Type: 'ACCREC', Contact: { Name: 'Ada' } }] },
    })
    expect(created.body.Invoices[0]?.InvoiceID).toBeTruthy()
    const listed = await client.get<{ Invoices: unknown[] }>('/Invoices')
    expect(listed.body.Invoices).toHaveLength(1)
    expect(lower(sent[0]!.headers)).toMatchObject({
      authorization: `Bearer ${accessToken}`,
      'xero-tenant-id': tenantId,
    })
    expect(lower(sent[0]!.headers)['idempotency-key']).toMatch(uuid)
    expectReportedWindowsKnown(xero, listed.headers)

    // Another tenant is refused, and a 403 is not repeated.
    const stranger = clientOf(xero, {
      baseUrl: local(sims.xero.url, xero),
      params: { tenantId: 'someone-else' },
      credential: accessToken,
    })
    const refused = await stranger.get('/Invoices').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(HttpStatusError)
    expect((refused as HttpStatusError).attempts).toHaveLength(1)
  })

  it('openai: the API key as bearer, no idempotency header, requests and tokens reported', async () => {
    const { sent, transport } = recording()
    const apiKey = sims.openai.credentials.apiKey as string
    const client = clientOf(openai, {
      baseUrl: local(sims.openai.url, openai),
      credential: apiKey,
      transport,
    })
    const reply = await client.post<{ choices: { message: { content: string } }[] }>(
      '/chat/completions',
      {
        json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 },
        cost: { tokens: 9 },
      },
    )
    expect(reply.body.choices[0]?.message.content).toBe('Simulated reply.')
    expect(sent[0]!.url.pathname).toBe('/v1/chat/completions')
    expect(lower(sent[0]!.headers).authorization).toBe(`Bearer ${apiKey}`)
    expect(lower(sent[0]!.headers)['idempotency-key']).toBeUndefined()
    expectReportedWindowsKnown(openai, reply.headers)
    expect((await client.limiter?.usage())?.tokens?.used).toBe(9)
  })
})

describe('presets against a recording server', () => {
  it("github: a 403 with retry-after (a secondary limit) is retried after the server's wait", async () => {
    replies.push(
      {
        status: 403,
        headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4990' },
        body: { message: 'You have exceeded a secondary rate limit.' },
      },
      { status: 200, body: { login: 'octocat' } },
    )
    const client = clientOf(github, { baseUrl: recorderUrl, credential: 'ghp_test' })
    client.events.on('http:retry', (e) => void clock.advance(e.waitMs))
    const user = await client.get<{ login: string }>('/user')
    expect(user.body.login).toBe('octocat')
    expect(user.attempts).toEqual([
      { attempt: 1, status: 403, reason: 'secondary rate limit (403)', waitMs: 1_000 },
      { attempt: 2, status: 200, reason: 'ok', waitMs: 0 },
    ])
    expect(seen).toHaveLength(2)
  })

  it('twilio: basic auth from AccountSid:AuthToken, a form body, no idempotency header', async () => {
    const client = clientOf(twilio, {
      baseUrl: local(recorderUrl, twilio),
      credential: 'AC0123:auth-token',
    })
    await client.post('/Accounts/AC0123/Messages.json', {
      form: { To: '+15550001', From: '+15550002', Body: 'Hi' },
    })
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/2010-04-01/Accounts/AC0123/Messages.json',
      body: 'To=%2B15550001&From=%2B15550002&Body=Hi',
    })
    expect(seen[0]!.headers).toMatchObject({
      authorization: `Basic ${Buffer.from('AC0123:auth-token').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(seen[0]!.headers['idempotency-key']).toBeUndefined()
  })

  it('hubspot: the token as bearer', async () => {
    const client = clientOf(hubspot, { baseUrl: local(recorderUrl, hubspot), credential: 'pat-1' })
    await client.post('/crm/v3/objects/contacts', {
      json: { properties: { email: 'a@example.com' } },
    })
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/crm/v3/objects/contacts' })
    expect(seen[0]!.headers.authorization).toBe('Bearer pat-1')
    expect(seen[0]!.headers['idempotency-key']).toBeUndefined()
  })

  it('slack: the bot token as bearer, methods under /api', async () => {
    const client = clientOf(slack, { baseUrl: local(recorderUrl, slack), credential: 'xoxb-1' })
    await client.post('/chat.postMessage', { json: { channel: 'C1', text: 'Hi' } })
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/chat.postMessage' })
    expect(seen[0]!.headers.authorization).toBe('Bearer xoxb-1')
    expect(JSON.parse(seen[0]!.body)).toEqual({ channel: 'C1', text: 'Hi' })
  })

  it('google-maps: the key as a query parameter, kept out of events', async () => {
    const client = clientOf(googleMaps, {
      baseUrl: local(recorderUrl, googleMaps),
      credential: 'AIza-test-key',
    })
    const urls: string[] = []
    client.events.on('http:attempt', (e) => urls.push(e.url))
    await client.get('/maps/api/geocode/json', { query: { address: '1 Main St' } })
    const url = new URL(seen[0]!.url, recorderUrl)
    expect(url.pathname).toBe('/maps/api/geocode/json')
    expect(url.searchParams.get('key')).toBe('AIza-test-key')
    expect(url.searchParams.get('address')).toBe('1 Main St')
    expect(seen[0]!.headers.authorization).toBeUndefined()
    expect(urls).toEqual([`${recorderUrl}/maps/api/geocode/json`])
  })

  it('resend: the key as bearer, the User-Agent Resend requires, an idempotency key', async () => {
    const client = clientOf(resend, { baseUrl: local(recorderUrl, resend), credential: 're_123' })
    const email = { from: 'a@example.com', to: 'b@example.com', subject: 'Hi', text: 'Hi' }
    await client.post('/emails', { json: email, idempotencyKey: 'welcome/1' })
    await client.post('/emails', { json: email })
    expect(seen[0]!.headers).toMatchObject({
      authorization: 'Bearer re_123',
      'user-agent': 'seamline',
      'idempotency-key': 'welcome/1',
    })
    expect(seen[1]!.headers['idempotency-key']).toMatch(uuid)
  })
})
