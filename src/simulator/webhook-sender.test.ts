import { verify as octokitVerify } from '@octokit/webhooks-methods'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import Stripe from 'stripe'
import { afterAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { createSimulator, type Simulator } from './simulator.js'
import type { DeliveryReport, WebhookSender } from './webhook-sender.js'

interface Received {
  headers: IncomingMessage['headers']
  body: string
}

/** A local app endpoint: records each request and answers with `reply(n)` (n counts from 0). */
async function receiver(
  reply: (n: number, request: Received) => number | 'hang' | Promise<number> = () => 200,
): Promise<{ url: string; received: Received[]; inFlightPeak: () => number }> {
  const received: Received[] = []
  let inFlight = 0
  let peak = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const n = received.push(request) - 1
      inFlight++
      peak = Math.max(peak, inFlight)
      res.on('close', () => inFlight--)
      void Promise.resolve(reply(n, request)).then((status) => {
        if (status !== 'hang') res.writeHead(status).end()
      })
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hooks`, received, inFlightPeak: () => peak }
}

const servers: Server[] = []
const sims: Simulator[] = []
afterAll(async () => {
  for (const s of servers) s.closeAllConnections()
  await Promise.all([
    ...sims.map((s) => s.close()),
    ...servers.map((s) => new Promise((r) => s.close(r))),
  ])
})

async function simulator(profile: 'stripe' | 'github' | 'shopify' | 'generic', clock?: FakeClock) {
  const sim = await createSimulator({ profile, ...(clock ? { clock } : {}) })
  sims.push(sim)
  return sim
}

// Drives a FakeClock forward in small steps until the sender is done, letting sockets work between steps.
async function run(
  clock: FakeClock,
  sending: Promise<DeliveryReport>,
  stepMs = 250,
): Promise<DeliveryReport> {
  let done = false
  void sending.finally(() => (done = true))
  while (!done) {
    await new Promise((r) => setTimeout(r, 1))
    await clock.advance(stepMs)
  }
  return sending
}

const event = (id: string, type = 'charge.succeeded') => ({
  id,
  type,
  payload: { id, object: 'event', type },
})

describe('webhook sender: what it signs, the official SDKs accept', () => {
  it('stripe: stripe.webhooks.constructEvent', async () => {
    const sim = await simulator('stripe')
    const app = await receiver()
    await sim.webhookSender({ target: app.url }).send([event('evt_1')])
    const [delivery] = app.received
    const stripe = new Stripe('sk_test_oracle')
    const parsed = stripe.webhooks.constructEvent(
      delivery!.body,
      delivery!.headers['stripe-signature'] as string,
      sim.credentials.webhookSecret!,
    )
    expect(parsed).toMatchObject({ id: 'evt_1', type: 'charge.succeeded' })
  })

  it('github: @octokit/webhooks-methods verify, with the event and delivery headers', async () => {
    const sim = await simulator('github')
    const app = await receiver()
    await sim.webhookSender({ target: app.url }).send([event('1', 'issues')])
    const [delivery] = app.received
    const signature = delivery!.headers['x-hub-signature-256'] as string
    expect(await octokitVerify(sim.credentials.webhookSecret!, delivery!.body, signature)).toBe(
      true,
    )
    expect(delivery!.headers['x-github-event']).toBe('issues')
    expect(delivery!.headers['x-github-delivery']).toMatch(/^[0-9A-Za-z]{8}-/)
  })

  it('standard-webhooks: Webhook#verify', async () => {
    const sim = await simulator('generic')
    const app = await receiver()
    await sim.webhookSender({ target: app.url }).send([event('msg_1', 'item.created')])
    const [delivery] = app.received
    const verified = new Webhook(sim.credentials.webhookSecret!).verify(delivery!.body, {
      'webhook-id': delivery!.headers['webhook-id'] as string,
      'webhook-timestamp': delivery!.headers['webhook-timestamp'] as string,
      'webhook-signature': delivery!.headers['webhook-signature'] as string,
    })
    expect(verified).toMatchObject({ id: 'msg_1' })
    expect(delivery!.headers['webhook-id']).toBe('msg_1')
  })

  it('shopify: the documented base64 HMAC, with topic and event id headers', async () => {
    const { createHmac } = await import('node:crypto')
    const sim = await simulator('shopify')
    const app = await receiver()
    await sim.webhookSender({ target: app.url }).send([event('98', 'orders/create')])
    const [delivery] = app.received
    const expected = createHmac('sha256', sim.credentials.webhookSecret!)
      .update(delivery!.body)
      .digest('base64')
    expect(delivery!.headers['x-shopify-hmac-sha256']).toBe(expected)
    expect(delivery!.headers['x-shopify-topic']).toBe('orders/create')
    expect(delivery!.headers['x-shopify-event-id']).toBe('98')
  })
})

describe('webhook sender: provider behaviour', () => {
  it('retries on the provider schedule, compressed by the time scale, re-signing each attempt', async () => {
    const clock = new FakeClock({ now: 0 })
    const sim = await simulator('stripe', clock)
    const app = await receiver((n) => (n < 2 ? 500 : 200))
    const sender: WebhookSender = sim.webhookSender({ target: app.url, timeScale: 60 })
    const report = await run(clock, sender.send([event('evt_retry')]))
    expect(report.attempts.map((a) => [a.attempt, a.status, a.acknowledged])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ])
    // Stripe waits 1 min then 2 min; at 60× that is 1 s then 2 s.
    const [first, second, third] = report.attempts.map((a) => a.at)
    expect(second! - first!).toBeGreaterThanOrEqual(1_000)
    expect(second! - first!).toBeLessThan(1_000 + 250 * 2)
    expect(third! - second!).toBeGreaterThanOrEqual(2_000)
    expect(report.acknowledged).toEqual(['evt_retry'])
    const stamps = app.received.map(
      (r) => /t=(\d+)/.exec(r.headers['stripe-signature'] as string)![1],
    )
    expect(new Set(stamps).size).toBe(3)
  })

  it('gives up when the schedule runs out (GitHub does not retry at all)', async () => {
    const sim = await simulator('github')
    const app = await receiver(() => 503)
    const report = await sim.webhookSender({ target: app.url }).send([event('1', 'push')])
    expect(report.attempts).toHaveLength(1)
    expect(report.unacknowledged).toEqual(['1'])
  })

  it('counts a slow answer as a failure after the ack timeout', async () => {
    const clock = new FakeClock({ now: 0 })
    const sim = await simulator('shopify', clock)
    const app = await receiver((n) => (n === 0 ? 'hang' : 200))
    const report = await run(
      clock,
      sim.webhookSender({ target: app.url, timeScale: 60 }).send([event('5', 'orders/paid')]),
    )
    expect(report.attempts[0]).toMatchObject({
      attempt: 1,
      error: 'ack timeout',
      acknowledged: false,
    })
    expect(report.attempts[1]).toMatchObject({ attempt: 2, status: 200, acknowledged: true })
    // Shopify's ack timeout is 5 s.
    expect(report.attempts[1]!.at - report.attempts[0]!.at).toBeGreaterThanOrEqual(5_000 + 1_000)
  })

  it('sends duplicate deliveries of one event, each with its own delivery id', async () => {
    const sim = await simulator('github')
    const app = await receiver()
    const report = await sim
      .webhookSender({ target: app.url, duplicates: 2 })
      .send([event('7', 'issues')])
    expect(report.attempts).toHaveLength(3)
    expect(new Set(report.attempts.map((a) => a.deliveryId)).size).toBe(3)
    expect(app.received.map((r) => JSON.parse(r.body) as { id: string }).map((b) => b.id)).toEqual([
      '7',
      '7',
      '7',
    ])
  })

  it('redelivers while the first attempt is still in flight', async () => {
    const sim = await simulator('stripe')
    let release = (): void => {}
    const held = new Promise<number>((r) => (release = () => r(200)))
    const app = await receiver((n) => (n === 0 ? held : 200))
    const sending = sim
      .webhookSender({ target: app.url, duplicates: 1, concurrentRedelivery: true })
      .send([event('evt_c')])
    while (app.received.length < 2) await new Promise((r) => setTimeout(r, 1))
    expect(app.inFlightPeak()).toBe(2)
    release()
    const report = await sending
    expect(report.attempts.every((a) => a.acknowledged)).toBe(true)
  })

  it('delivers in the given order, or shuffled (reproducibly from the seed) when asked', async () => {
    const events = Array.from({ length: 12 }, (_, i) => event(`evt_${i}`))
    const order = async (outOfOrder: boolean) => {
      const sim = await simulator('stripe')
      const app = await receiver()
      await sim.webhookSender({ target: app.url, outOfOrder }).send(events)
      return app.received.map((r) => (JSON.parse(r.body) as { id: string }).id)
    }
    const given = events.map((e) => e.id)
    expect(await order(false)).toEqual(given)
    const shuffled = await order(true)
    expect(shuffled).not.toEqual(given)
    expect([...shuffled].sort()).toEqual([...given].sort())
    expect(await order(true)).toEqual(shuffled)
  })
})
