import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { isSeamlineError } from '../src/errors/index.js'
import {
  createClient,
  HttpStatusError,
  linkPages,
  NetworkError,
  paginate,
  type ClientOptions,
} from '../src/http/index.js'
import {
  backoff,
  circuitBreaker,
  RateLimitedError,
  retryBudget,
  TimeoutError,
} from '../src/policies/index.js'
import { createSimulator } from '../src/simulator/index.js'
import { createLimiter } from '../src/limits/index.js'
import { FakeClock } from '../src/time/index.js'

// The client against the provider simulator on loopback, time driven by a FakeClock.
const clock = new FakeClock()
const stripe = await createSimulator({ profile: 'stripe', clock, stripe: { ratePerSecond: 1_000 } })
const generic = await createSimulator({
  profile: 'generic',
  clock,
  generic: { quotas: [{ name: 'default', limit: 2, windowSeconds: 30 }] },
})
afterAll(() => Promise.all([stripe.close(), generic.close()]))
beforeEach(() => {
  stripe.reset()
  generic.reset()
})

const stripeClient = (extra: Partial<ClientOptions> = {}) =>
  createClient({
    baseUrl: stripe.url,
    name: 'stripe',
    authorization: () => `Bearer ${stripe.credentials.apiKey}`,
    idempotencyHeader: 'Idempotency-Key',
    retry: { maxAttempts: 4, backoff: backoff({ strategy: 'none', baseMs: 100 }) },
    clock,
    ...extra,
  })

// Moves the clock in small steps until the call settles, letting sockets work in between.
async function drive<T>(promise: Promise<T>, stepMs = 50): Promise<T> {
  let done = false
  void promise.then(
    () => (done = true),
    () => (done = true),
  )
  while (!done) {
    await new Promise((r) => setTimeout(r, 1))
    await clock.advance(stepMs)
  }
  return promise
}
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  drive(promise).then(
    () => undefined,
    (e: unknown) => e,
  )

describe('http client against the simulator', () => {
  it('sends query, form and auth, parses JSON, and records the attempt', async () => {
    const client = stripeClient()
    const created = await client.post<{ id: string; metadata: { plan: string } }>('/v1/customers', {
      form: { email: 'a@example.com', metadata: { plan: 'pro' } },
    })
    expect(created.status).toBe(200)
    expect(created.body.metadata).toEqual({ plan: 'pro' })
    expect(created.attempts).toEqual([{ attempt: 1, status: 200, reason: 'ok', waitMs: 0 }])
    const listed = await client.get<{ data: unknown[] }>('/v1/customers', {
      query: { limit: 1, email: 'a@example.com' },
    })
    expect(listed.body.data).toHaveLength(1)
  })

  it('retries 5xx on an idempotent call with waits, and tells the history', async () => {
    stripe.setFaults([
      {
        route: 'GET /v1/customers',
        sequence: [
          { kind: 'status', status: 503 },
          { kind: 'status', status: 502 },
        ],
      },
    ])
    const response = await drive(stripeClient().get('/v1/customers'))
    expect(response.attempts).toEqual([
      { attempt: 1, status: 503, reason: 'server error (503)', waitMs: 100 },
      { attempt: 2, status: 502, reason: 'server error (502)', waitMs: 200 },
      { attempt: 3, status: 200, reason: 'ok', waitMs: 0 },
    ])
  })

  it('never duplicates a POST whose responses are lost: the idempotency key repeats on every retry', async () => {
    stripe.setFaults([
      { route: 'POST /v1/charges', probability: 0.3, fault: { kind: 'reset-after' } },
    ])
    const client = stripeClient({
      retry: {
        maxAttempts: 10,
        backoff: backoff({ strategy: 'none', baseMs: 10, capMs: 10 }),
        budget: retryBudget({ ratio: 1, minRetries: 100, clock }),
      },
    })
    for (let i = 0; i < 30; i++) {
      await drive(
        client.post('/v1/charges', {
          form: { amount: 100, currency: 'usd', metadata: { operation_id: `order-${i}` } },
        }),
        10,
      )
    }
    const stats = stripe.stats().routes['POST /v1/charges']!
    expect(stats.faults['reset-after']).toBeGreaterThan(0)
    expect(stats.executions).toBe(30)
    expect(stats.duplicateExecutionsByOperation).toBe(0)
    expect(stats.duplicateExecutionsByIdempotencyKey).toBe(0)
  })

  it('stops retrying when the client’s retry budget is spent, and says so', async () => {
    stripe.setFaults([
      { route: 'GET /v1/customers', probability: 1, fault: { kind: 'status', status: 503 } },
    ])
    const client = stripeClient({
      retry: {
        maxAttempts: 3,
        backoff: backoff({ strategy: 'none', baseMs: 1 }),
        budget: retryBudget({ ratio: 0, minRetries: 2, clock }),
      },
    })
    const first = await failure(client.get('/v1/customers'))
    expect((first as HttpStatusError).attempts).toHaveLength(3)
    const second = await failure(client.get('/v1/customers'))
    expect((second as Error).message).toBe(
      `GET ${stripe.url}/v1/customers failed with 503 after 1 attempt (retry budget spent): Simulated 503`,
    )
    // A 503 may pass later: not permanent, whatever the budget says now.
    expect((second as HttpStatusError).permanent).toBe(false)
  })

  it('does not retry a POST without an idempotency key after the connection was lost, saying why', async () => {
    stripe.setFaults([{ route: 'POST /v1/charges', sequence: [{ kind: 'reset-after' }] }])
    const bare = createClient({
      baseUrl: stripe.url,
      authorization: () => `Bearer ${stripe.credentials.apiKey}`,
      clock,
    })
    const error = await failure(
      bare.post('/v1/charges', { form: { amount: 100, currency: 'usd' } }),
    )
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as Error).message).toBe(
      `POST ${stripe.url}/v1/charges failed: connection lost after the request was sent; not retried: POST is not idempotent and has no idempotency key (ECONNRESET) after 1 attempt`,
    )
    expect(stripe.stats().routes['POST /v1/charges']?.executions).toBe(1)
  })

  it('retries a 429 the provider marks safe, and honours Retry-After instead of its backoff', async () => {
    const client = createClient({
      baseUrl: generic.url,
      authorization: () => `Bearer ${generic.credentials.apiKey}`,
      retry: { maxAttempts: 3, backoff: backoff({ strategy: 'none', baseMs: 1 }) },
      clock,
    })
    await client.get('/items')
    await client.get('/items')
    const started = clock.now()
    const third = await drive(client.get('/items'), 500)
    expect(third.attempts[0]).toMatchObject({
      status: 429,
      reason: 'rate limited (429)',
      waitMs: 30_000,
    })
    expect(clock.now() - started).toBeGreaterThanOrEqual(30_000)
  })

  it('fails at once with RateLimitedError when the server wait does not fit the deadline', async () => {
    const client = createClient({
      baseUrl: generic.url,
      authorization: () => `Bearer ${generic.credentials.apiKey}`,
      clock,
    })
    await client.get('/items')
    await client.get('/items')
    const error = await failure(client.get('/items', { deadlineMs: 5_000 }))
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfterMs).toBe(30_000)
    expect((error as Error).message).toMatch(
      new RegExp(`^GET ${generic.url}/items was rate limited and asked to wait 30000 ms`),
    )
  })

  it('times an attempt out, retries it, and bounds the whole call by its deadline', async () => {
    stripe.setFaults([{ route: 'GET /v1/customers', sequence: [{ kind: 'hang' }] }])
    const client = stripeClient({ attemptTimeoutMs: 1_000 })
    const response = await drive(client.get('/v1/customers'))
    expect(response.attempts[0]).toMatchObject({
      error: 'SEAM_ERR_TIMEOUT',
      reason: 'attempt timed out',
    })
    expect(response.status).toBe(200)

    stripe.setFaults([{ route: 'GET /v1/customers', probability: 1, fault: { kind: 'hang' } }])
    const error = await failure(client.get('/v1/customers', { deadlineMs: 2_500 }))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toMatch(
      new RegExp(`^GET ${stripe.url}/v1/customers timed out`),
    )
  })

  it('ends a hanging attempt at once when the caller aborts, with the caller’s reason', async () => {
    for (const policies of [[], [circuitBreaker({ consecutiveFailures: 5, clock })]]) {
      stripe.reset()
      stripe.setFaults([{ route: 'GET /v1/customers', probability: 1, fault: { kind: 'hang' } }])
      const controller = new AbortController()
      const call = stripeClient({ policies }).get('/v1/customers', { signal: controller.signal })
      const outcome = call.catch((e: unknown) => e)
      while (stripe.stats().total.requests === 0) await new Promise((r) => setTimeout(r, 1))
      const reason = new Error('user went away')
      controller.abort(reason)
      expect(await outcome).toBe(reason) // no clock moved: the abort alone ended it
    }
  })

  it('throws HttpStatusError with the body and history for a status it will not retry', async () => {
    const error = await failure(stripeClient().get('/v1/customers/cus_missing'))
    expect(error).toBeInstanceOf(HttpStatusError)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_HTTP_STATUS')
    expect((error as HttpStatusError).message).toBe(
      `GET ${stripe.url}/v1/customers/cus_missing failed with 404 after 1 attempt: No such customer: 'cus_missing'`,
    )
    expect((error as HttpStatusError).body).toMatchObject({ error: { code: 'resource_missing' } })
    // Asking again cannot find it: a job that throws this is a dead letter at once.
    expect((error as HttpStatusError).permanent).toBe(true)
  })

  it('treats a cut-off JSON body as a failure to retry when safe', async () => {
    stripe.setFaults([{ route: 'GET /v1/customers', sequence: [{ kind: 'malformed-json' }] }])
    const response = await drive(stripeClient().get('/v1/customers'))
    expect(response.attempts[0]).toMatchObject({
      error: 'SEAM_ERR_MALFORMED_RESPONSE',
      reason: 'malformed response',
    })
    expect(response.status).toBe(200)
  })

  it('stops at once when the caller aborts during a backoff wait', async () => {
    stripe.setFaults([
      { route: 'GET /v1/customers', probability: 1, fault: { kind: 'status', status: 503 } },
    ])
    const controller = new AbortController()
    const client = stripeClient({
      retry: { maxAttempts: 5, backoff: backoff({ strategy: 'none', baseMs: 60_000 }) },
    })
    client.events.on('http:retry', () => controller.abort(new Error('user went away')))
    const error = await client
      .get('/v1/customers', { signal: controller.signal })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ message: 'user went away' })
    expect(stripe.stats().total.requests).toBe(1)
  })
})

describe('http client with a limiter', () => {
  it('keeps 100 concurrent calls inside Stripe’s 25 per second: no 429 at all', async () => {
    // 20 a second: the headroom a client needs, as it counts when it sends and the provider
    // when the request arrives.
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 20, windowMs: 1_000 }],
      clock,
    })
    const sim = await createSimulator({ profile: 'stripe', clock })
    try {
      const limited = createClient({
        baseUrl: sim.url,
        authorization: () => `Bearer ${sim.credentials.apiKey}`,
        limiter,
        clock,
      })
      const started = clock.now()
      const responses = await drive(
        Promise.all(Array.from({ length: 100 }, () => limited.get('/v1/customers'))),
        20,
      )
      expect(responses.every((r) => r.status === 200 && r.attempts.length === 1)).toBe(true)
      expect(sim.stats().total.rateLimited).toBe(0)
      expect(clock.now() - started).toBeGreaterThanOrEqual(4_000) // 5 windows of 20
    } finally {
      await sim.close()
    }
  })

  it('fails at once with RateLimitedError when the quota wait cannot end before the deadline', async () => {
    const limiter = createLimiter({
      quotas: [{ name: 'minute', limit: 1, windowMs: 60_000 }],
      clock,
    })
    const client = stripeClient({ limiter })
    await client.get('/v1/customers')
    const error = await failure(client.get('/v1/customers', { deadlineMs: 5_000 }))
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfterMs).toBe(60_000)
    expect(stripe.stats().total.requests).toBe(1)
  })

  it('pauses every call for a 429’s Retry-After', async () => {
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 100, windowMs: 1_000 }],
      clock,
    })
    const client = createClient({
      baseUrl: generic.url,
      authorization: () => `Bearer ${generic.credentials.apiKey}`,
      limiter,
      retry: false,
      clock,
    })
    await client.get('/items')
    await client.get('/items')
    await failure(client.get('/items')) // 429, Retry-After: 30
    const started = clock.now()
    const next = await drive(client.get('/items'), 1_000)
    expect(next.status).toBe(200)
    expect(clock.now() - started).toBeGreaterThanOrEqual(29_000)
  })
})

describe('the client learns from rate-limit headers', () => {
  it('counts what others used of GitHub’s hour and stops before the provider refuses', async () => {
    const github = await createSimulator({ profile: 'github', clock, github: { perHour: 10 } })
    try {
      const token = github.credentials.token!
      // Another app with the same token spends 6 of the 10.
      for (let i = 0; i < 6; i++)
        await fetch(`${github.url}/repos/o/r/issues`, {
          headers: { authorization: `Bearer ${token}` },
        })
      const client = createClient({
        baseUrl: github.url,
        credential: token,
        retry: false,
        clock,
        limiter: createLimiter({
          quotas: [{ name: 'hour', limit: 10, windowMs: 3_600_000, reportedAs: 'core' }],
          clock,
        }),
      })
      await client.get('/repos/o/r/issues')
      expect((await client.limiter!.usage()).hour).toEqual({ used: 7, limit: 10 })
      for (let i = 0; i < 3; i++) await client.get('/repos/o/r/issues')
      const refused = await failure(client.get('/repos/o/r/issues', { deadlineMs: 10_000 }))
      expect(refused).toBeInstanceOf(RateLimitedError)
      expect(github.stats().total.requests).toBe(10) // the eleventh was never sent
    } finally {
      await github.close()
    }
  })
})

describe('paginate', () => {
  it('walks Stripe lists by starting_after until has_more is false', async () => {
    const client = stripeClient()
    for (let i = 0; i < 7; i++) {
      await client.post('/v1/customers', { form: { email: `${i}@example.com` } })
      await clock.advance(1_000)
    }
    const emails: string[] = []
    for await (const customer of paginate<{ id: string; email: string }>(client, '/v1/customers', {
      query: { limit: '3' },
    })) {
      emails.push(customer.email)
    }
    expect(emails).toEqual(['6', '5', '4', '3', '2', '1', '0'].map((n) => `${n}@example.com`))
    expect(stripe.stats().routes['GET /v1/customers']?.requests).toBe(3)
  })

  it('follows GitHub Link headers, and stops fetching when the loop stops', async () => {
    const github = await createSimulator({ profile: 'github', clock })
    try {
      const client = createClient({
        baseUrl: github.url,
        authorization: () => `Bearer ${github.credentials.token}`,
        clock,
      })
      for (let i = 1; i <= 5; i++)
        await client.post('/repos/o/r/issues', { json: { title: `#${i}` } })
      const titles: string[] = []
      for await (const issue of paginate<{ title: string }>(client, '/repos/o/r/issues', {
        query: { per_page: '2' },
        pages: linkPages(),
      })) {
        titles.push(issue.title)
      }
      expect(titles).toEqual(['#5', '#4', '#3', '#2', '#1'])
      const before = github.stats().routes['GET /repos/:owner/:repo/issues']?.requests
      for await (const issue of paginate<{ title: string }>(client, '/repos/o/r/issues', {
        query: { per_page: '2' },
        pages: linkPages(),
      })) {
        if (issue.title === '#5') break
      }
      expect(github.stats().routes['GET /repos/:owner/:repo/issues']?.requests).toBe(
        (before ?? 0) + 1,
      )
    } finally {
      await github.close()
    }
  })
})
