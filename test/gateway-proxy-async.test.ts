import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { webhookScheme } from '../src/webhooks/index.js'
import { asApp, proxyToken, proxyTokenEnv, proxyTokens } from './helpers/gateway.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

// A second app's token, whose operations are its own.
const otherToken = 'sl_proxy_another-app-0123456789abcdefghij'

const store = useTempSqliteFile('proxy-async.sqlite')
const otherStore = useTempSqliteFile('proxy-async-dead.sqlite')
const callbackSecret = `whsec_${randomBytes(24).toString('base64')}`

interface Operation {
  operation: string
  status: string
  attempts: number
  result?: { status: number; headers: Record<string, string>; body: string; bodyEncoding: string }
  error?: { error: string; message: string }
}

/** The app's callback endpoint: records what it gets, answering with the statuses queued. */
async function callbackReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = []
  const answers: number[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.statusCode = answers.shift() ?? 204
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const until = async <T>(look: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
  const deadline = Date.now() + 20_000
  for (;;) {
    const value = await look()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('proxy configuration', () => {
  const problems = (proxy: unknown): string[] => {
    try {
      parseConfig({ proxy })
      return []
    } catch (error) {
      return (error as { problems: string[] }).problems
    }
  }

  it('names the key to fix: an origin with a path, callbacks without a secret', () => {
    expect(
      problems({ callbackOrigins: ['https://app.example.com/hooks'], callbackSecret: 'HOOK' }),
    ).toEqual([
      expect.stringMatching(/^proxy\.callbackOrigins\[0\]: expected an origin/) as unknown,
    ])
    expect(problems({ callbackOrigins: ['https://app.example.com'] })).toEqual([
      expect.stringMatching(/^proxy\.callbackSecret: expected the environment variable/) as unknown,
    ])
    expect(
      problems({ callbackOrigins: ['https://app.example.com'], callbackSecret: 'HOOK_SECRET' }),
    ).toEqual([])
    expect(parseConfig({}).proxy).toEqual({
      tokens: [],
      allowUnauthenticated: false,
      allowedOrigins: [],
      callbackOrigins: [],
      retentionMs: 7 * 86_400_000,
    })
  })
})

describe('egress proxy: async calls', () => {
  let sim: Simulator
  let gateway: Gateway
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>

  const open = (file = store, maxAttempts = 4) =>
    createGateway(
      parseConfig({
        store: file,
        profile: 'development',
        providers: {
          stripe: {
            baseUrl: sim.url,
            credentials: { apiKey: 'STRIPE_SECRET_KEY' },
            // Three attempts of the client a run, so the tests below can outlast a run.
            retry: { maxAttempts: 3, baseMs: 10 },
          },
        },
        proxy: {
          tokens: [...proxyTokens.tokens, 'OTHER_PROXY_TOKEN'],
          callbackOrigins: [receiver.origin],
          callbackSecret: 'CALLBACK_SECRET',
          retry: { maxAttempts, baseMs: 20, capMs: 100 },
        },
      }),
      {
        env: {
          STRIPE_SECRET_KEY: sim.credentials.apiKey,
          CALLBACK_SECRET: callbackSecret,
          ...proxyTokenEnv,
          OTHER_PROXY_TOKEN: otherToken,
        },
        log: { enabled: false },
        worker: { pollMs: 20 },
      },
    )

  beforeAll(async () => {
    sim = await createSimulator({ profile: 'stripe', seed: 12 })
    receiver = await callbackReceiver()
    gateway = await open()
  })
  afterAll(async () => {
    await gateway?.stop()
    await sim?.close()
    await receiver?.close()
  })

  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const async = { prefer: 'respond-async' }

  const poll = (operation: string) =>
    asApp(gateway)({ url: `/operations/${operation}` }).then((a) => a.json<Operation>())
  const settled = (operation: string) =>
    until(
      () => poll(operation),
      (view) => ['succeeded', 'failed', 'dead'].includes(view.status),
    )

  it('answers 202 with an operation, then the poll gives the answer a sync call gives', async () => {
    const created = await asApp(gateway)({
      method: 'POST',
      url: '/proxy/stripe/v1/customers',
      headers: form,
      payload: 'email=poll%40example.com',
    })
    const { id } = created.json<{ id: string }>()
    const sync = await asApp(gateway)({ url: `/proxy/stripe/v1/customers/${id}` })

    const accepted = await asApp(gateway)({
      url: `/proxy/stripe/v1/customers/${id}`,
      // Other preferences in the same header are tolerated.
      headers: { prefer: 'return=minimal, respond-async; wait=5' },
    })
    expect(accepted.statusCode).toBe(202)
    const { operation, status } = accepted.json<{ operation: string; status: string }>()
    expect(operation).toMatch(/^op_[A-Za-z0-9_-]{22}$/)
    expect(status).toBe('queued')
    expect(accepted.headers.location).toBe(`/operations/${operation}`)
    expect(accepted.headers['preference-applied']).toBe('respond-async')

    const view = await settled(operation)
    expect(view).toMatchObject({ operation, status: 'succeeded', attempts: 1 })
    expect(view.result).toMatchObject({ status: 200, bodyEncoding: 'text', body: sync.body })
    expect(view.result?.headers['content-type']).toBe(sync.headers['content-type'])
    expect(view.result?.headers).not.toHaveProperty('transfer-encoding')
  })

  it('enqueues one call per operation id, however often it is sent', async () => {
    const before = sim.stats().routes['POST /v1/customers']?.executions ?? 0
    const send = () =>
      asApp(gateway)({
        method: 'POST',
        url: '/proxy/stripe/v1/customers',
        headers: { ...form, ...async, 'x-seamline-operation-id': 'signup:async-1' },
        payload: 'email=once%40example.com',
      })
    const [first, second] = await Promise.all([send(), send()])
    expect([first?.statusCode, second?.statusCode]).toEqual([202, 202])
    expect(second?.json()).toMatchObject({ operation: 'signup:async-1' })
    const view = await settled('signup:async-1')
    expect(view).toMatchObject({ status: 'succeeded', result: { status: 200 } })
    // Sent again after it finished: still the same operation, still one call.
    const again = await send()
    expect(again.statusCode).toBe(202)
    expect(again.json()).toEqual({ operation: 'signup:async-1', status: 'succeeded' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(sim.stats().routes['POST /v1/customers']?.executions).toBe(before + 1)

    // The same id for a different call is refused, not confused with the first.
    const other = await asApp(gateway)({
      method: 'POST',
      url: '/proxy/stripe/v1/customers',
      headers: { ...form, ...async, 'x-seamline-operation-id': 'signup:async-1' },
      payload: 'email=other%40example.com',
    })
    expect(other.statusCode).toBe(409)
    expect(other.json()).toMatchObject({ error: { code: 'operation_mismatch' } })
  })

  it('retries a call the provider keeps failing with 503 from the job, until it succeeds', async () => {
    const fail = { kind: 'status', status: 503 } as const
    sim.setFaults([{ route: 'GET /v1/charges', sequence: [fail, fail, fail, fail] }])
    const accepted = await asApp(gateway)({ url: '/proxy/stripe/v1/charges', headers: async })
    const { operation } = accepted.json<{ operation: string }>()
    const view = await settled(operation)
    sim.setFaults([])
    expect(view).toMatchObject({ status: 'succeeded', result: { status: 200 } })
    // The client's own retries were not enough: the job ran the call again.
    expect(view.attempts).toBeGreaterThan(1)
    expect(sim.stats().routes['GET /v1/charges']?.faults.status).toBe(4)
  })

  it('keeps a 4xx as the final answer, without retrying it', async () => {
    const requests = () => sim.stats().routes['GET /v1/customers']?.requests ?? 0
    const before = requests()
    const accepted = await asApp(gateway)({
      url: '/proxy/stripe/v1/customers?limit=0',
      headers: async,
    })
    const view = await settled(accepted.json<{ operation: string }>().operation)
    expect(view).toMatchObject({ status: 'failed', attempts: 1, result: { status: 400 } })
    expect(JSON.parse(view.result?.body ?? '')).toMatchObject({
      error: { type: 'invalid_request_error' },
    })
    expect(requests()).toBe(before + 1)
  })

  it('records a call that fails on its last attempt as dead, with the last answer', async () => {
    // A gateway of its own: one run of the call (three client attempts), below the number of
    // failures that would open this gateway's circuit and snooze the other tests' calls.
    const once = await open(otherStore, 1)
    try {
      const fail = { kind: 'status', status: 502 } as const
      sim.setFaults([{ route: 'GET /v1/customers/:id', sequence: [fail, fail, fail] }])
      const accepted = await asApp(once)({
        url: '/proxy/stripe/v1/customers/cus_unlucky',
        headers: async,
      })
      const { operation } = accepted.json<{ operation: string }>()
      const view = await until(
        () => asApp(once)({ url: `/operations/${operation}` }).then((a) => a.json<Operation>()),
        (found) => found.status === 'dead',
      )
      expect(view).toMatchObject({
        status: 'dead',
        attempts: 1,
        result: { status: 502 },
        error: { error: 'SEAM_ERR_HTTP_STATUS', message: 'the provider answered 502' },
      })
      expect(sim.stats().routes['GET /v1/customers/:id']?.faults.status).toBe(3)
      const job = await until(
        () => once.jobs.deadLetters.list({}),
        (dead) => dead.length > 0,
      )
      expect(job.map((j) => j.name)).toEqual(['seamline:proxy'])
    } finally {
      sim.setFaults([])
      await once.stop()
    }
  })

  it('posts the outcome to the callback, signed, retrying while the app fails', async () => {
    receiver.answers.push(500, 503)
    const accepted = await asApp(gateway)({
      method: 'POST',
      url: '/proxy/stripe/v1/customers',
      headers: { ...form, ...async, 'x-seamline-callback': `${receiver.origin}/hooks/seamline` },
      payload: 'email=callback%40example.com',
    })
    expect(accepted.statusCode).toBe(202)
    const { operation } = accepted.json<{ operation: string }>()
    const deliveries = await until(
      () => Promise.resolve(receiver.received.filter((r) => r.body.includes(operation))),
      (found) => found.length >= 3,
    )
    expect(deliveries).toHaveLength(3)
    const last = deliveries[2]
    const headers = Object.fromEntries(
      Object.entries(last?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    )
    const verified = webhookScheme('standard-webhooks').verify(headers, last?.body ?? '', {
      secrets: [callbackSecret],
    })
    expect(verified.id).toBe(operation)
    expect(headers['x-seamline-attempt']).toBe('3')
    const body = JSON.parse(last?.body ?? '') as Operation
    expect(body).toEqual(await poll(operation))
    expect(body).toMatchObject({ operation, status: 'succeeded', result: { status: 200 } })
    // A tampered body does not verify.
    expect(() =>
      webhookScheme('standard-webhooks').verify(headers, `${last?.body} `, {
        secrets: [callbackSecret],
      }),
    ).toThrow()
  })

  it('stops posting a callback the app answers 410 Gone', async () => {
    receiver.answers.push(410)
    const accepted = await asApp(gateway)({
      url: '/proxy/stripe/v1/customers?limit=2',
      headers: { ...async, 'x-seamline-callback': `${receiver.origin}/gone` },
    })
    const { operation } = accepted.json<{ operation: string }>()
    const dead = await until(
      () => gateway.jobs.deadLetters.list({ name: 'seamline:proxy-callback' }),
      (jobs) => jobs.some((job) => (job.payload as { operation: string }).operation === operation),
    )
    expect(dead.find((job) => job.deadReason === 'permanent')).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(receiver.received.filter((r) => r.body.includes(operation))).toHaveLength(1)
    expect((await poll(operation)).status).toBe('succeeded')
  })

  it('refuses a callback to an origin not listed, and a malformed operation id', async () => {
    const refused = await asApp(gateway)({
      url: '/proxy/stripe/v1/customers',
      headers: { ...async, 'x-seamline-callback': 'http://169.254.169.254/latest/meta-data' },
    })
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({
      error: {
        code: 'callback_not_allowed',
        message: expect.stringContaining('proxy.callbackOrigins') as unknown,
      },
    })
    for (const id of ['a/b', 'x'.repeat(129), '../admin', 'semi;colon']) {
      const bad = await asApp(gateway)({
        url: '/proxy/stripe/v1/customers',
        headers: { ...async, 'x-seamline-operation-id': id },
      })
      expect(bad.statusCode, id).toBe(400)
      expect(bad.json(), id).toMatchObject({ error: { code: 'bad_operation_id' } })
    }
    expect((await asApp(gateway)({ url: '/operations/op_unknown' })).statusCode).toBe(404)
    expect((await asApp(gateway)({ url: '/operations/a.b' })).json()).toMatchObject({
      error: 'bad_operation_id',
    })
  })

  it('keeps outcomes across a restart of the gateway on the same store', async () => {
    const accepted = await asApp(gateway)({
      url: '/proxy/stripe/v1/customers?limit=1',
      headers: { ...async, 'x-seamline-operation-id': 'kept-across-restart' },
    })
    const before = await settled(accepted.json<{ operation: string }>().operation)
    expect(before.status).toBe('succeeded')
    await gateway.stop()
    gateway = await open()
    expect(await poll('kept-across-restart')).toEqual(before)
  })

  it('forgets outcomes past proxy.retentionMs, in the hourly prune', async () => {
    const short = await createGateway(
      parseConfig({
        store: otherStore,
        profile: 'development',
        providers: { stripe: { baseUrl: sim.url, credentials: { apiKey: 'STRIPE_SECRET_KEY' } } },
        proxy: { ...proxyTokens, retentionMs: 1 },
      }),
      {
        env: { STRIPE_SECRET_KEY: sim.credentials.apiKey, ...proxyTokenEnv },
        log: { enabled: false },
        worker: { pollMs: 20 },
      },
    )
    try {
      const look = (operation: string) => asApp(short)({ url: `/operations/${operation}` })
      await asApp(short)({
        url: '/proxy/stripe/v1/customers?limit=1',
        headers: { ...async, 'x-seamline-operation-id': 'short-lived' },
      })
      const done = await until(
        () => look('short-lived').then((a) => a.json<Operation>()),
        (view) => view.status === 'succeeded',
      )
      expect(done.status).toBe('succeeded')
      await short.jobs.enqueue('seamline:operations-prune', null)
      const gone = await until(
        () => look('short-lived'),
        (answer) => answer.statusCode === 404,
      )
      expect(gone.statusCode).toBe(404)
    } finally {
      await short.stop()
    }
  })

  it('over a socket, shows an operation only to the token that made it', async () => {
    const url = await gateway.start(0, '127.0.0.1')
    const as = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      })
    const mine = { ...form, ...async, 'x-seamline-operation-id': 'shared-name-1' }
    const made = await as(proxyToken, '/proxy/stripe/v1/customers', {
      method: 'POST',
      headers: mine,
      body: 'email=mine%40example.com',
    })
    expect(made.status).toBe(202)
    const { operation } = (await made.json()) as { operation: string }
    expect((await as(proxyToken, `/operations/${operation}`)).status).toBe(200)
    expect((await as(otherToken, `/operations/${operation}`)).status).toBe(404)
    // The same operation name under another token is that token's own operation.
    const theirs = await as(otherToken, '/proxy/stripe/v1/customers', {
      method: 'POST',
      headers: mine,
      body: 'email=theirs%40example.com',
    })
    expect(theirs.status).toBe(202)
    // Each token reads its own call's outcome under the one name.
    const outcome = async (token: string) => {
      for (;;) {
        const view = (await (await as(token, `/operations/${operation}`)).json()) as Operation
        if (view.status === 'succeeded') return view.result?.body ?? ''
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    expect(await outcome(proxyToken)).toContain('mine@example.com')
    expect(await outcome(otherToken)).toContain('theirs@example.com')
  })
})

describe.skipIf(!pgUrl)('egress proxy: async calls on PostgreSQL', () => {
  const schema = usePostgresSchema()
  let sim: Simulator
  let gateway: Gateway | undefined

  const open = () =>
    createGateway(
      parseConfig({
        store: schema.url,
        profile: 'development',
        providers: {
          stripe: { baseUrl: sim.url, credentials: { apiKey: 'STRIPE_SECRET_KEY' } },
        },
        proxy: { ...proxyTokens, retry: { maxAttempts: 3, baseMs: 20, capMs: 100 } },
      }),
      {
        env: { STRIPE_SECRET_KEY: sim.credentials.apiKey, ...proxyTokenEnv },
        log: { enabled: false },
        worker: { pollMs: 20 },
      },
    )

  beforeAll(async () => {
    sim = await createSimulator({ profile: 'stripe', seed: 13 })
  })
  afterAll(async () => {
    await gateway?.stop()
    await sim?.close()
  })

  it('stores the outcome once, readable after a restart', async () => {
    gateway = await open()
    const send = (app: Gateway) =>
      asApp(app)({
        method: 'POST',
        url: '/proxy/stripe/v1/customers',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          prefer: 'respond-async',
          'x-seamline-operation-id': 'pg-signup-1',
        },
        payload: 'email=pg%40example.com',
      })
    expect((await send(gateway)).statusCode).toBe(202)
    const poll = (app: Gateway) =>
      asApp(app)({ url: '/operations/pg-signup-1' }).then((a) => a.json<Operation>())
    const first = gateway
    const done = await until(
      () => poll(first),
      (view) => view.status === 'succeeded',
    )
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { status: 200 } })
    await gateway.stop()
    gateway = await open()
    expect(await poll(gateway)).toEqual(done)
    expect((await send(gateway)).json()).toEqual({ operation: 'pg-signup-1', status: 'succeeded' })
    expect(sim.stats().routes['POST /v1/customers']?.executions).toBe(1)
  })
})
