import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createJobs, type WorkerOptions } from '../src/jobs/index.js'
import { createWebhookSender } from '../src/simulator/index.js'
import { postgresStore, sqliteStore, type Store } from '../src/stores/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { FakeClock } from '../src/time/index.js'
import { genericHmacScheme, webhookScheme } from '../src/webhooks/index.js'
import {
  createWebhookInbox,
  nodeHandler,
  type WebhookEvent,
  type WebhookInboxOptions,
} from '../src/webhooks/inbox/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()
const secret = 'whsec_test_inbox'
let cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

let sources = 0
function setup(overrides: Partial<WebhookInboxOptions> = {}, worker: WorkerOptions = {}) {
  const clock = new FakeClock({ now: Date.now() })
  const store = overrides.store ?? sqliteStore({ path })
  const jobs = overrides.jobs ?? createJobs({ store, clock, worker: { pollMs: 20, ...worker } })
  const source = `stripe-${++sources}`
  const inbox = createWebhookInbox({
    store,
    jobs,
    clock,
    sources: { [source]: { scheme: 'stripe', secrets: ['whsec_old', secret] } },
    ...overrides,
  })
  cleanups.push(async () => {
    await jobs.stop({ timeoutMs: 0 })
    if (!overrides.store) await store.close()
  })
  return { clock, store, jobs, inbox, source }
}

function stripeDelivery(clock: FakeClock, event: { id: string; type: string; data?: unknown }) {
  const body = JSON.stringify({ object: 'event', data: {}, ...event })
  const headers = webhookScheme('stripe').sign({ payload: body, secret, clock })
  return { headers: { 'content-type': 'application/json', ...headers }, body }
}

async function until(check: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('condition never held')
}

describe('webhook inbox', () => {
  it('stores a verified event before answering, then hands it to its handler once', async () => {
    const { inbox, store, jobs, clock, source } = setup()
    const handled: WebhookEvent[] = []
    inbox.on(source, (event) => void handled.push(event))
    const delivery = stripeDelivery(clock, { id: 'evt_1', type: 'charge.succeeded' })
    const first = await inbox.receive({ source, ...delivery })
    expect(first.status).toBe(200)
    // Committed when the answer is given, whether or not anything processed it yet.
    expect((await store.inbox.get(source, 'evt_1'))?.body).toEqual(
      new Uint8Array(Buffer.from(delivery.body)),
    )
    const again = await inbox.receive({ source, ...delivery })
    expect(again).toMatchObject({ status: 200 })
    expect(JSON.parse(again.body)).toEqual({ received: true, duplicate: true })
    jobs.start()
    await until(() => handled.length === 1)
    expect(handled[0]).toMatchObject({
      source,
      provider: 'stripe',
      id: 'evt_1',
      type: 'charge.succeeded',
      payload: { id: 'evt_1', object: 'event' },
    })
    expect(handled[0]?.raw.headers['stripe-signature']).toMatch(/^t=\d+,v1=/)
  })

  it('refuses a forged or altered event with 401 and stores nothing', async () => {
    const { inbox, store, clock, source } = setup()
    const rejected: string[] = []
    inbox.events.on('webhook:rejected', (e) => rejected.push(e.reason))
    const delivery = stripeDelivery(clock, { id: 'evt_forged', type: 'payment_intent.succeeded' })
    const altered = await inbox.receive({
      source,
      headers: delivery.headers,
      body: delivery.body.replace('payment_intent', 'payment_intnet'),
    })
    const unsigned = await inbox.receive({ source, headers: {}, body: delivery.body })
    expect([altered.status, unsigned.status]).toEqual([401, 401])
    expect(rejected).toEqual([
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
    ])
    expect(await store.inbox.get(source, 'evt_forged')).toBeUndefined()
  })

  it('refuses a body over the limit while it streams in, with 413', async () => {
    const { inbox, clock, source } = setup({ maxBodyBytes: 1_024 })
    let produced = 0
    const endless = Readable.from(
      (function* () {
        for (;;) {
          produced += 256
          yield Buffer.alloc(256, 0x61)
        }
      })(),
    )
    const { headers } = stripeDelivery(clock, { id: 'evt_big', type: 'x' })
    const response = await inbox.receive({ source, headers, body: endless })
    expect(response.status).toBe(413)
    expect(produced).toBeLessThanOrEqual(2_048)
  })

  it('answers 503, never 4xx, when the store fails, so the provider delivers again', async () => {
    const store = sqliteStore({ path })
    cleanups.push(() => store.close())
    const failing: Store = {
      ...store,
      inbox: { ...store.inbox, receive: () => Promise.reject(new Error('disk I/O error')) },
    }
    const { inbox, clock, source } = setup({ store: failing, jobs: createJobs({ store }) })
    const response = await inbox.receive({
      source,
      ...stripeDelivery(clock, { id: 'evt_x', type: 'x' }),
    })
    expect(response.status).toBe(503)
  })

  it('answers 503 at once while 64 MiB wait for a store that is behind, and stores what waited', async () => {
    const store = sqliteStore({ path })
    cleanups.push(() => store.close())
    let calls = 0
    let release: () => void = () => undefined
    const stalled = new Promise<void>((resolve) => (release = resolve))
    const behind: Store = {
      ...store,
      inbox: {
        ...store.inbox,
        receive: async (events) => {
          calls++
          await stalled
          return store.inbox.receive(events)
        },
      },
    }
    const { inbox, clock, source } = setup({ store: behind, jobs: createJobs({ store }) })
    const pad = 'x'.repeat(9 * 1024 * 1024)
    const deliver = (n: number) =>
      inbox.receive({ source, ...stripeDelivery(clock, { id: `evt_${n}`, type: 'x', data: pad }) })
    // Two transactions of 9 MiB each go out and hang; seven more deliveries wait (63 MiB).
    const first = [deliver(0), deliver(1)]
    await until(() => calls === 2)
    const waiting = [2, 3, 4, 5, 6, 7, 8].map(deliver)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await deliver(9)).status).toBe(503)
    release()
    const answers = await Promise.all([...first, ...waiting])
    expect(answers.map((a) => a.status)).toEqual(Array(9).fill(200))
    for (let n = 0; n < 9; n++) expect(await store.inbox.get(source, `evt_${n}`)).toBeDefined()
    expect(await store.inbox.get(source, 'evt_9')).toBeUndefined()
  })

  it('answers 404 for a source it does not know, and refuses a source without secrets', async () => {
    const { inbox, store, jobs } = setup()
    expect(await inbox.receive({ source: 'nope', headers: {}, body: '' })).toMatchObject({
      status: 404,
    })
    expect(() =>
      createWebhookInbox({ store, jobs, sources: { s: { scheme: 'stripe', secrets: [] } } }),
    ).toThrow(/at least one secret/)
  })

  it('answers handshakes after verifying them, storing nothing', async () => {
    const { store, jobs, clock } = setup()
    const inbox = createWebhookInbox({
      store,
      jobs,
      clock,
      sources: {
        slack: { scheme: 'slack', secrets: ['slack-signing-secret'] },
        github: { scheme: 'github', secrets: ['gh-secret'] },
      },
    })
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'c-42', token: 't' })
    const slackHeaders = webhookScheme('slack').sign({
      payload: challenge,
      secret: 'slack-signing-secret',
      clock,
    })
    const answer = await inbox.receive({ source: 'slack', headers: slackHeaders, body: challenge })
    expect(answer).toMatchObject({ status: 200, body: JSON.stringify({ challenge: 'c-42' }) })
    const forged = await inbox.receive({ source: 'slack', headers: {}, body: challenge })
    expect(forged.status).toBe(401)
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 })
    const pingHeaders = {
      ...webhookScheme('github').sign({ payload: ping, secret: 'gh-secret', clock }),
      'x-github-event': 'ping',
      'x-github-delivery': 'ping-1',
    }
    expect(
      (await inbox.receive({ source: 'github', headers: pingHeaders, body: ping })).status,
    ).toBe(200)
    expect(await store.inbox.get('github', 'ping-1')).toBeUndefined()
  })

  it('takes a HubSpot batch as one event per item, verified against the public URL and method', async () => {
    const { store, jobs, clock } = setup()
    const url = 'https://hooks.example.com/webhooks/hubspot?portal=1'
    const inbox = createWebhookInbox({
      store,
      jobs,
      clock,
      sources: { hubspot: { scheme: 'hubspot', secrets: ['hs-client-secret'], url } },
    })
    const seen: WebhookEvent[] = []
    inbox.on('hubspot', (event) => void seen.push(event))
    const batch = JSON.stringify([
      { eventId: 9001, subscriptionType: 'contact.creation', objectId: 1 },
      { eventId: 9002, subscriptionType: 'deal.propertyChange', objectId: 2 },
    ])
    const headers = webhookScheme('hubspot').sign({
      payload: batch,
      secret: 'hs-client-secret',
      clock,
      url,
    })
    // The app sees another URL behind its proxy; the source's public URL is what was signed.
    const request = {
      source: 'hubspot',
      headers,
      body: batch,
      url: 'http://10.0.0.5:3000/webhooks/hubspot',
      method: 'POST',
    }
    expect((await inbox.receive(request)).status).toBe(200)
    expect(JSON.parse((await inbox.receive(request)).body)).toEqual({
      received: true,
      duplicate: true,
    })
    jobs.start()
    await until(() => seen.length === 2)
    expect(
      seen.map((e) => [e.id, e.type, (e.payload as { objectId: number }).objectId]).sort(),
    ).toEqual([
      ['9001', 'contact.creation', 1],
      ['9002', 'deal.propertyChange', 2],
    ])
  })

  it('accepts a scheme made with options, such as a generic HMAC', async () => {
    const { store, jobs, clock } = setup()
    const scheme = genericHmacScheme({
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'x-acme-signature',
      prefix: 'sha256=',
      signedContent: '{timestamp}.{body}',
      timestampHeader: 'x-acme-timestamp',
    })
    const inbox = createWebhookInbox({
      store,
      jobs,
      clock,
      sources: { acme: { scheme, secrets: ['acme-secret'] } },
    })
    const body = JSON.stringify({ id: 'acme-1', type: 'order.paid' })
    const headers = scheme.sign({ payload: body, secret: 'acme-secret', clock })
    expect((await inbox.receive({ source: 'acme', headers, body })).status).toBe(200)
    expect((await inbox.receive({ source: 'acme', headers: {}, body })).status).toBe(401)
  })

  it('forgets events past their retention every hour, and must be made before the worker starts', async () => {
    // An hour passes here: fewer timers make it pass faster.
    const { store, jobs, clock, inbox, source } = setup(
      { retentionMs: 60_000 },
      { pollMs: 600_000, sweepMs: 600_000, heartbeatMs: 600_000, leaseMs: 1_800_000 },
    )
    const delivery = stripeDelivery(clock, { id: 'evt_old', type: 'x' })
    expect((await inbox.receive({ source, ...delivery })).status).toBe(200)
    jobs.start()
    expect(() => createWebhookInbox({ store, jobs, sources: {} })).toThrow(/before jobs.start\(\)/)
    for (let minute = 0; minute < 61; minute++) await clock.advance(60_000)
    await until(async () => (await store.inbox.get(source, 'evt_old')) === undefined)
  })

  it('commits concurrent deliveries together', async () => {
    const store = sqliteStore({ path })
    cleanups.push(() => store.close())
    const batches: number[] = []
    const counting: Store = {
      ...store,
      inbox: {
        ...store.inbox,
        receive: (events) => {
          batches.push(events.length)
          return store.inbox.receive(events)
        },
      },
    }
    const { inbox, clock, source } = setup({ store: counting, jobs: createJobs({ store }) })
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        inbox.receive({ source, ...stripeDelivery(clock, { id: `evt_g${n}`, type: 'x' }) }),
      ),
    )
    expect(responses.every((r) => r.status === 200)).toBe(true)
    expect(batches.reduce((a, b) => a + b, 0)).toBe(40)
    expect(batches.length).toBeLessThan(40)
  })

  it('handles one key’s events in arrival order', async () => {
    const { jobs, clock, store } = setup()
    const inbox = createWebhookInbox({
      store,
      jobs,
      clock,
      sources: {
        ordered: {
          scheme: 'stripe',
          secrets: [secret],
          orderBy: (event) => (event.payload as { data: { customer: string } }).data.customer,
        },
      },
    })
    const seen: string[] = []
    inbox.on('ordered', async (event) => {
      seen.push(event.id)
      await new Promise((resolve) => setTimeout(resolve, 2))
    })
    for (let n = 0; n < 6; n++) {
      const delivery = stripeDelivery(clock, {
        id: `evt_o${n}`,
        type: 'x',
        data: { customer: 'cus_1' },
      })
      expect((await inbox.receive({ source: 'ordered', ...delivery })).status).toBe(200)
    }
    jobs.start()
    await until(() => seen.length === 6)
    expect(seen).toEqual(['evt_o0', 'evt_o1', 'evt_o2', 'evt_o3', 'evt_o4', 'evt_o5'])
  })
})

async function senderScenario(store: Store): Promise<void> {
  const jobs = createJobs({ store, worker: { pollMs: 20, concurrency: 20 } })
  const inbox = createWebhookInbox({
    store,
    jobs,
    sources: { stripe: { scheme: 'stripe', secrets: [secret] } },
  })
  const effects = new Map<string, number>()
  inbox.on('stripe', (event) => void effects.set(event.id, (effects.get(event.id) ?? 0) + 1))
  jobs.start()
  const server: Server = createServer(nodeHandler(inbox, 'stripe'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await new Promise((resolve) => server.close(resolve))
    await jobs.stop({ timeoutMs: 0 })
    await store.close()
  })
  const { port } = server.address() as AddressInfo
  const sender = createWebhookSender({
    target: `http://127.0.0.1:${port}/webhooks/stripe`,
    scheme: 'stripe',
    secret,
    seed: 11,
    duplicates: 2,
    outOfOrder: true,
    concurrentRedelivery: true,
  })
  const events = Array.from({ length: 60 }, (_, n) => ({
    id: `evt_s${n}`,
    type: 'invoice.paid',
    payload: { id: `evt_s${n}`, object: 'event', type: 'invoice.paid', data: {} },
  }))
  const report = await sender.send(events)
  expect(report.unacknowledged).toEqual([])
  expect(report.attempts.length).toBeGreaterThanOrEqual(180)
  await until(() => effects.size === 60)
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect([...effects.values()].every((count) => count === 1)).toBe(true)
}

describe('webhook inbox over node:http, against the simulator’s sender', () => {
  it('turns duplicated, shuffled and concurrent redeliveries into one effect per event (SQLite)', () =>
    senderScenario(sqliteStore({ path })))

  describe.skipIf(!pgUrl)('PostgreSQL', () => {
    const schema = usePostgresSchema()
    it('turns duplicated, shuffled and concurrent redeliveries into one effect per event', async () =>
      senderScenario(await postgresStore({ url: schema.url })))
  })
})
