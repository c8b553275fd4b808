import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/http/index.js'
import { stripe } from '../src/providers/index.js'
import {
  createReconcile,
  sqliteSource,
  stripeListSource,
  type ReconcilerOptions,
} from '../src/reconcile/index.js'
import { createSimulator } from '../src/simulator/index.js'
import { FakeClock } from '../src/time/index.js'

// The Stripe simulator on loopback against a SQLite table that mirrors its subscriptions.
const clock = new FakeClock({ now: Date.parse('2026-03-01T00:00:00Z') })
const sim = await createSimulator({ profile: 'stripe', clock, seed: 3 })
const client = createClient({
  provider: stripe,
  baseUrl: sim.url,
  credential: sim.credentials.apiKey!,
  clock,
})
const db = new Database(':memory:')
afterAll(async () => {
  db.close()
  await sim.close()
})

interface Sub {
  id: string
  customer: string
  status: string
  created: number
}

describe('reconciling Stripe subscriptions with a local table', () => {
  it('finds exactly the injected differences, canceled ones included, and skips what just changed', async () => {
    const subs: Sub[] = []
    for (let i = 0; i < 9; i++) {
      const customer = (
        await client.post<{ id: string }>('/v1/customers', { form: { email: `c${i}@example.com` } })
      ).body
      const sub = await client.post<Sub>('/v1/subscriptions', {
        form: { customer: customer.id, items: [{ price: 'price_1' }] },
      })
      subs.push(sub.body)
      await clock.advance(1_000)
    }
    db.exec(
      'CREATE TABLE subscriptions (id TEXT PRIMARY KEY, customer TEXT, status TEXT, created_at TEXT)',
    )
    const insert = db.prepare('INSERT INTO subscriptions VALUES (?, ?, ?, ?)')
    for (const s of subs)
      insert.run(s.id, s.customer, s.status, new Date(s.created * 1_000).toISOString())
    const [canceled, dropped, edited, recent] = [subs[0]!, subs[1]!, subs[2]!, subs[3]!]
    // Canceled on Stripe, still active here: only `status=all` lists it.
    await client.delete(`/v1/subscriptions/${canceled.id}`)
    db.prepare('DELETE FROM subscriptions WHERE id = ?').run(dropped.id)
    db.prepare("UPDATE subscriptions SET customer = 'cus_wrong' WHERE id = ?").run(edited.id)
    insert.run('sub_local_only', 'cus_x', 'active', '2026-03-01T00:00:00Z')
    await clock.advance(10 * 60_000)
    // Changed a minute ago on Stripe: it may not have reached the table yet, so it is not judged.
    await client.delete(`/v1/subscriptions/${recent.id}`)
    await clock.advance(60_000)

    const reconcile = createReconcile({ clock })
    const options: ReconcilerOptions = {
      fields: { customer: 'customer', status: 'status', created: { type: 'date' } },
      left: {
        source: stripeListSource({
          client,
          resource: 'subscriptions',
          clock,
          query: { limit: '4' },
        }),
        fields: { created: { type: 'date', epoch: 's' } },
      },
      right: {
        source: sqliteSource({ db, query: 'SELECT * FROM subscriptions', name: 'db' }),
        fields: { created: { from: 'created_at', type: 'date' } },
      },
    }
    reconcile.define('subscriptions', options)
    const report = await reconcile.run('subscriptions')
    expect(report.engine).toBe('partition')
    expect(report.unsettledSkipped).toBe(1)
    expect(report.counts).toEqual({
      left: 8,
      right: 8,
      matched: 5,
      missingInLeft: 1,
      missingInRight: 1,
      mismatched: 2,
    })
    expect(report.samples.missingInLeft).toEqual(['sub_local_only'])
    expect(report.samples.missingInRight).toEqual([dropped.id])
    expect([...report.samples.mismatched].sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(
      [
        { key: canceled.id, fields: { status: { left: 'canceled', right: 'active' } } },
        { key: edited.id, fields: { customer: { left: edited.customer, right: 'cus_wrong' } } },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    )
    // 9 subscriptions at 4 a page, and one page of recent events.
    expect(report.apiCalls).toBe(3 + 1)
    expect(sim.stats().routes['GET /v1/subscriptions']?.requests).toBe(3)
  })

  it('counts the waits a 429 imposed, honouring its Retry-After', async () => {
    sim.setFaults([
      {
        route: 'GET /v1/subscriptions',
        sequence: ['ok', { kind: 'rate-limit', retryAfterSeconds: 2 }],
      },
    ])
    try {
      const reconcile = createReconcile({ clock })
      reconcile.define('limited', {
        fields: ['status'],
        left: {
          source: stripeListSource({
            client,
            resource: 'subscriptions',
            clock,
            settleMs: 0,
            query: { limit: '5' },
          }),
        },
        right: { source: sqliteSource({ db, query: 'SELECT * FROM subscriptions' }) },
      })
      let done = false
      const running = reconcile.run('limited').finally(() => (done = true))
      // The retry sleeps on the fake clock: move it on until the run is over.
      while (!done) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        await clock.advance(500)
      }
      const report = await running
      expect(report.apiCalls).toBe(3)
      expect(report.rateLimitWaits).toBe(1)
      expect(report.rateLimitWaitMs).toBeGreaterThanOrEqual(2_000)
    } finally {
      sim.setFaults([])
    }
  })

  it('POSTs an alert to a webhook when a threshold is crossed', async () => {
    const received: unknown[] = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        received.push(JSON.parse(body))
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const reconcile = createReconcile({ clock })
      reconcile.define('alerting', {
        fields: ['status'],
        left: {
          source: stripeListSource({ client, resource: 'subscriptions', clock, settleMs: 0 }),
        },
        right: { source: sqliteSource({ db, query: 'SELECT * FROM subscriptions' }) },
        alerts: { missing: 0, webhook: { url: `http://127.0.0.1:${port}/hooks/drift?team=ops` } },
      })
      const report = await reconcile.run('alerting')
      expect(report.alerts).toEqual([{ threshold: 'missing', limit: 0, value: 2, delivered: true }])
      expect(received).toEqual([
        expect.objectContaining({
          type: 'reconcile.alert',
          reconciler: 'alerting',
          reportId: report.id,
          alerts: [{ threshold: 'missing', limit: 0, value: 2 }],
        }),
      ])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('records an alert the webhook did not take, without failing the run', async () => {
    const reconcile = createReconcile({ clock })
    reconcile.define('unreachable', {
      fields: ['status'],
      left: { source: stripeListSource({ client, resource: 'subscriptions', clock, settleMs: 0 }) },
      right: { source: sqliteSource({ db, query: 'SELECT * FROM subscriptions' }) },
      alerts: {
        missing: 0,
        webhook: {
          url: 'http://127.0.0.1:1/hooks',
          client: createClient({ baseUrl: 'http://127.0.0.1:1', retry: false, limiter: false }),
        },
      },
    })
    const report = await reconcile.run('unreachable')
    expect(report.alerts).toMatchObject([{ threshold: 'missing', delivered: false }])
    expect(report.alerts[0]!.error).toMatch(/POST http:\/\/127\.0\.0\.1:1\/hooks/)
  })
  it('runs incrementally on Stripe: a created window since the watermark, looking up what looks missing', async () => {
    const reconcile = createReconcile({ clock })
    reconcile.define('incremental', {
      fields: ['status', 'customer'],
      incremental: { overlapMs: 1_000, settleMs: 0 },
      left: {
        source: stripeListSource({ client, resource: 'subscriptions', clock, settleMs: 0 }),
        watermark: { from: 'created', epoch: 's' },
      },
      right: {
        source: sqliteSource({ db, query: 'SELECT * FROM subscriptions', key: 'id' }),
        watermark: 'created_at',
      },
    })
    const full = await reconcile.run('incremental')
    expect(full.mode).toBe('full')
    await clock.advance(60_000)
    const customer = (await client.post<{ id: string }>('/v1/customers', { form: {} })).body
    const added: Sub[] = []
    for (let i = 0; i < 2; i++) {
      const sub = await client.post<Sub>('/v1/subscriptions', {
        form: { customer: customer.id, items: [{ price: 'price_1' }] },
      })
      added.push(sub.body)
    }
    // Only the first reached the table.
    db.prepare('INSERT INTO subscriptions VALUES (?, ?, ?, ?)').run(
      added[0]!.id,
      customer.id,
      'active',
      new Date(added[0]!.created * 1_000).toISOString(),
    )
    await clock.advance(1_000)
    const calls = sim.stats().routes['GET /v1/subscriptions']?.requests ?? 0
    const report = await reconcile.run('incremental')
    expect(report).toMatchObject({
      mode: 'incremental',
      watermarkBefore: full.watermarkAfter,
      unconfirmedMissing: 0,
      // The two new ones, and the two last of the full run again (inside the 1 s overlap).
      counts: { left: 4, right: 3, matched: 3, missingInRight: 1, missingInLeft: 0, mismatched: 0 },
      samples: { missingInRight: [added[1]!.id] },
    })
    // One page: the created window left every older subscription out.
    expect((sim.stats().routes['GET /v1/subscriptions']?.requests ?? 0) - calls).toBe(1)
  })
})
