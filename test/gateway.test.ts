import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { useTempSqliteFile } from './helpers/sqlite.js'
import {
  destinationSecret,
  startReceiver,
  postDelivery,
  stripeDelivery,
  stripeSecret,
  until,
} from './helpers/gateway.js'

const adminToken = 'admin-token-for-tests-0123456789'
const env = { STRIPE_WHSEC: stripeSecret, DEST_WHSEC: destinationSecret }

function gatewaySuite(name: string, storeUrl: () => string) {
  describe(`gateway on ${name}`, () => {
    let gateway: Gateway
    let receiver: Awaited<ReturnType<typeof startReceiver>>
    const auth = { authorization: `Bearer ${adminToken}` }

    beforeAll(async () => {
      receiver = await startReceiver({ evt_flaky: [500, 500, 200], evt_gone: [410] })
      const config = parseConfig({
        store: storeUrl(),
        webhooks: {
          sources: {
            stripe: {
              provider: 'stripe',
              secrets: ['STRIPE_WHSEC'],
              route: '/hooks/stripe',
              destination: {
                url: receiver.url,
                secret: 'DEST_WHSEC',
                concurrency: 2,
                rateLimit: { perSecond: 50 },
                retry: { maxAttempts: 5, baseMs: 20, capMs: 50 },
              },
            },
          },
        },
      })
      gateway = await createGateway(config, {
        env,
        adminToken,
        log: { enabled: false },
        worker: { pollMs: 50 },
      })
    })
    afterAll(async () => {
      await gateway?.stop()
      await receiver?.close()
    })

    const post = (path: string, delivery: { headers: Record<string, string>; body: string }) =>
      postDelivery(gateway, path, delivery)

    it('answers /healthz and /readyz', async () => {
      expect((await gateway.app.inject('/healthz')).json()).toEqual({ status: 'ok' })
      const ready = await gateway.app.inject('/readyz')
      expect(ready.statusCode).toBe(200)
      expect(ready.json()).toEqual({ status: 'ready' })
    })

    it('acknowledges a signed event, acknowledges its duplicate without storing it twice, refuses a forged one', async () => {
      const delivery = stripeDelivery('evt_ok')
      const first = await post('/webhooks/stripe', delivery)
      expect(first.statusCode).toBe(200)
      expect(first.json()).toEqual({ received: true })
      const again = await post('/webhooks/stripe', stripeDelivery('evt_ok'))
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ received: true, duplicate: true })
      const forged = await post(
        '/webhooks/stripe',
        stripeDelivery('evt_forged', 'x', 'whsec_not_the_secret_at_all'),
      )
      expect(forged.statusCode).toBe(401)
      expect(forged.json()).toEqual({ error: 'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID' })
      expect((await post('/webhooks/nope', delivery)).statusCode).toBe(404)

      expect(await gateway.store.inbox.list({ source: 'stripe', eventId: 'evt_ok' })).toHaveLength(
        1,
      )
      expect(await gateway.store.inbox.get('stripe', 'evt_forged')).toBeUndefined()
      // Forwarded once, signed so the destination can verify it.
      await until(() => receiver.deliveries.some((d) => d.eventId === 'evt_ok'), 'evt_ok forwarded')
      const forwarded = receiver.deliveries.filter((d) => d.eventId === 'evt_ok')
      expect(forwarded).toHaveLength(1)
      expect(forwarded[0]).toMatchObject({ verified: true, status: 200, id: 'evt_ok' })
      expect(JSON.parse(forwarded[0]?.body ?? '')).toMatchObject({
        id: 'evt_ok',
        type: 'charge.succeeded',
      })
    })

    it("takes a source's extra route too", async () => {
      const answer = await post('/hooks/stripe', stripeDelivery('evt_route'))
      expect(answer.statusCode).toBe(200)
      expect(await gateway.store.inbox.get('stripe', 'evt_route')).toBeDefined()
    })

    it('retries a failing destination from the queue until it answers 2xx, and delivers once', async () => {
      expect((await post('/webhooks/stripe', stripeDelivery('evt_flaky'))).statusCode).toBe(200)
      await until(
        () => receiver.deliveries.some((d) => d.eventId === 'evt_flaky' && d.status === 200),
        'evt_flaky delivered',
      )
      const [event] = await gateway.store.inbox.list({ source: 'stripe', eventId: 'evt_flaky' })
      await until(
        async () => (await gateway.store.jobs.get(event?.jobId ?? ''))?.state === 'completed',
        'job completed',
      )
      const attempts = receiver.deliveries.filter((d) => d.eventId === 'evt_flaky')
      expect(attempts.map((d) => d.status)).toEqual([500, 500, 200])
      expect(attempts.every((d) => d.verified)).toBe(true)
    })

    it('stops retrying on 410 Gone and keeps the event as a dead letter', async () => {
      expect((await post('/webhooks/stripe', stripeDelivery('evt_gone'))).statusCode).toBe(200)
      const [event] = await gateway.store.inbox.list({ source: 'stripe', eventId: 'evt_gone' })
      await until(
        async () => (await gateway.store.jobs.get(event?.jobId ?? ''))?.state === 'dead',
        'evt_gone dead',
      )
      const job = await gateway.store.jobs.get(event?.jobId ?? '')
      expect(job).toMatchObject({ state: 'dead', deadReason: 'permanent', attempts: 1 })
      expect(receiver.deliveries.filter((d) => d.eventId === 'evt_gone')).toHaveLength(1)
    })

    it('refuses the admin API without the token, and with a wrong one', async () => {
      expect((await gateway.app.inject('/api/sources')).statusCode).toBe(401)
      const wrong = await gateway.app.inject({
        url: '/api/sources',
        headers: { authorization: 'Bearer nope' },
      })
      expect(wrong.statusCode).toBe(401)
      const post = await gateway.app.inject({
        method: 'POST',
        url: '/api/dead-letters/replay',
        payload: { all: true },
      })
      expect(post.statusCode).toBe(401)
    })

    it('lists sources, events by source, type, id and status, jobs and dead letters', async () => {
      const get = async (url: string) => {
        const answer = await gateway.app.inject({ url, headers: auth })
        expect(answer.statusCode, url).toBe(200)
        return answer.json<Record<string, unknown>>()
      }
      const { sources } = (await get('/api/sources')) as { sources: unknown[] }
      expect(sources).toEqual([
        expect.objectContaining({
          name: 'stripe',
          provider: 'stripe',
          routes: ['/webhooks/stripe', '/hooks/stripe'],
          secrets: 1,
        }),
      ])
      expect(JSON.stringify(sources)).not.toContain(stripeSecret)

      const all = (await get('/api/events?source=stripe')) as { events: { id: string }[] }
      expect(all.events.map((e) => e.id).sort()).toEqual([
        'evt_flaky',
        'evt_gone',
        'evt_ok',
        'evt_route',
      ])
      const byId = (await get('/api/events?id=evt_ok')) as { events: unknown[] }
      expect(byId.events).toEqual([
        expect.objectContaining({ id: 'evt_ok', type: 'charge.succeeded', status: 'completed' }),
      ])
      const dead = (await get('/api/events?status=dead')) as { events: { id: string }[] }
      expect(dead.events.map((e) => e.id)).toEqual(['evt_gone'])
      const byType = (await get('/api/events?type=x')) as { events: unknown[] }
      expect(byType.events).toEqual([])
      const detail = await get('/api/events/stripe/evt_ok')
      expect(detail).toMatchObject({ id: 'evt_ok', source: 'stripe' })
      expect(JSON.parse(detail.body as string)).toMatchObject({ id: 'evt_ok' })
      expect(
        (await gateway.app.inject({ url: '/api/events?status=bogus', headers: auth })).statusCode,
      ).toBe(400)

      const { jobs } = (await get('/api/jobs?state=completed')) as { jobs: { name: string }[] }
      expect(jobs.some((j) => j.name === 'webhook:stripe')).toBe(true)
      const letters = (await get('/api/dead-letters')) as {
        deadLetters: { id: string }[]
        total: number
      }
      expect(letters.total).toBe(1)
    })

    it('replays dead letters in bulk (dry run first), and discards one', async () => {
      const request = (method: 'POST', url: string, payload?: unknown) =>
        gateway.app.inject({
          method,
          url,
          headers: auth,
          ...(payload !== undefined && { payload: payload as object }),
        })
      expect((await request('POST', '/api/dead-letters/replay', {})).statusCode).toBe(400)
      const dry = await request('POST', '/api/dead-letters/replay', {
        filter: { name: 'webhook:stripe' },
        dryRun: true,
      })
      expect(dry.json()).toEqual({ matched: 1, replayed: 0, skipped: 0 })
      const { deadLetters } = (
        await gateway.app.inject({ url: '/api/dead-letters', headers: auth })
      ).json<{ deadLetters: { id: string }[] }>()
      const id = deadLetters[0]?.id as string
      // Replayed, the destination answers 410 again: dead again, after one more attempt.
      expect((await request('POST', '/api/dead-letters/replay', { all: true })).json()).toEqual({
        matched: 1,
        replayed: 1,
        skipped: 0,
      })
      await until(
        () => receiver.deliveries.filter((d) => d.eventId === 'evt_gone').length === 2,
        'replayed',
      )
      await until(async () => (await gateway.store.jobs.get(id))?.state === 'dead', 'dead again')
      expect((await request('POST', `/api/dead-letters/${id}/discard`)).json()).toEqual({
        discarded: id,
      })
      expect((await request('POST', `/api/dead-letters/${id}/discard`)).statusCode).toBe(404)
      expect((await request('POST', `/api/dead-letters/${id}/replay`)).statusCode).toBe(404)
    })

    it('exposes Prometheus metrics', async () => {
      const answer = await gateway.app.inject('/metrics')
      expect(answer.statusCode).toBe(200)
      expect(answer.headers['content-type']).toContain('text/plain')
      const text = answer.body
      expect(text).toMatch(/seamline_webhooks_received_total\{source="stripe"\} 4/)
      expect(text).toMatch(/seamline_webhooks_duplicate_total\{source="stripe"\} 1/)
      expect(text).toMatch(
        /seamline_webhook_verification_failures_total\{source="stripe",reason="SEAM_ERR_WEBHOOK_SIGNATURE_INVALID"\} 1/,
      )
      expect(text).toMatch(/seamline_delivery_attempts_total\{source="stripe",status="500"\} 2/)
      expect(text).toMatch(/seamline_delivery_retries_total\{source="stripe"\} 2/)
      expect(text).toMatch(/seamline_deliveries_total\{source="stripe",outcome="delivered"\} 3/)
      expect(text).toMatch(/seamline_deliveries_total\{source="stripe",outcome="gone"\} 2/)
      expect(text).toMatch(/seamline_dead_letters 0/)
      expect(text).toMatch(/seamline_queue_depth\{state="ready"\} \d+/)
      expect(text).toMatch(
        /seamline_http_requests_total\{method="POST",route="\/webhooks\/:source",status="200"\}/,
      )
      expect(text).not.toContain(stripeSecret)
    })

    it('serves the same routes over a real socket', async () => {
      const url = await gateway.start(0, '127.0.0.1')
      const health = await fetch(`${url}/healthz`)
      expect(health.status).toBe(200)
      const delivery = stripeDelivery('evt_socket')
      const first = await fetch(`${url}/webhooks/stripe`, { method: 'POST', ...delivery })
      expect(first.status).toBe(200)
      const again = await fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        ...stripeDelivery('evt_socket'),
      })
      expect(await again.json()).toEqual({ received: true, duplicate: true })
      const forged = await fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        ...stripeDelivery('evt_socket_forged', 'x', 'whsec_wrong_secret_for_this'),
      })
      expect(forged.status).toBe(401)
      await until(
        () => receiver.deliveries.some((d) => d.eventId === 'evt_socket'),
        'evt_socket forwarded',
      )
      expect(receiver.deliveries.filter((d) => d.eventId === 'evt_socket')).toHaveLength(1)
    })
  })
}

const sqlitePath = useTempSqliteFile('gateway.sqlite')
gatewaySuite('SQLite', () => sqlitePath)

describe.skipIf(!pgUrl)('PostgreSQL', () => {
  const schema = usePostgresSchema()
  gatewaySuite('PostgreSQL', () => schema.url)
})
