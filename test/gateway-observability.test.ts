import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { sqliteStore } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'
import {
  destinationSecret,
  postDelivery,
  proxyToken,
  proxyTokenEnv,
  proxyTokens,
  stripeDelivery,
  stripeSecret,
  until,
} from './helpers/gateway.js'

const adminToken = 'sl_admin_observability_0123456789abcdef'
const liveKey = 'sk_live_51ObservabilityKeyAbcdefghijklmn'
const env = {
  STRIPE_WHSEC: stripeSecret,
  DEST_WHSEC: destinationSecret,
  STRIPE_SECRET_KEY: liveKey,
  ...proxyTokenEnv,
}

let stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.reverse()) await stop()
  stops = []
})

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
}

const store = useTempSqliteFile('observability.sqlite')
const readyPath = useTempSqliteFile('ready.sqlite')

async function gatewayFor(url: string, destination: Record<string, unknown>, lines?: string[]) {
  const config = parseConfig({
    store,
    logLevel: 'debug',
    profile: 'production',
    proxy: proxyTokens,
    providers: { stripe: { credentials: { apiKey: 'STRIPE_SECRET_KEY' } } },
    webhooks: {
      sources: {
        stripe: {
          provider: 'stripe',
          secrets: ['STRIPE_WHSEC'],
          destination: { url, secret: 'DEST_WHSEC', ...destination },
        },
      },
    },
  })
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines?.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  const gateway: Gateway = await createGateway(config, {
    env,
    adminToken,
    log: lines ? { stream } : { enabled: false },
    worker: { pollMs: 50 },
  })
  stops.push(() => gateway.stop())
  return gateway
}

describe('gateway logs', () => {
  it('carry no secret value: not the admin token, webhook secrets, signatures or credentials', async () => {
    const url = await listen((request, response) => {
      request.resume()
      request.on('end', () => response.writeHead(500).end())
    })
    const lines: string[] = []
    const gateway = await gatewayFor(url, { retry: { maxAttempts: 2, baseMs: 10 } }, lines)
    const delivery = stripeDelivery('evt_logged')
    await gateway.app.inject({
      method: 'POST',
      url: `/webhooks/stripe?token=${liveKey}`,
      headers: { ...delivery.headers, authorization: `Bearer ${adminToken}` },
      payload: delivery.body,
    })
    await gateway.app.inject({
      url: `/api/events?id=${encodeURIComponent(stripeSecret)}`,
      headers: { authorization: `Bearer ${adminToken}` },
    })
    gateway.app.log.info({ leaked: { secret: destinationSecret } }, `about ${stripeSecret}`)
    gateway.app.log.warn(`the app sent ${proxyToken}`)
    const [event] = await gateway.store.inbox.list({ eventId: 'evt_logged' })
    await until(
      async () => (await gateway.store.jobs.get(event?.jobId ?? ''))?.state === 'dead',
      'the delivery exhausted',
    )
    await until(() => lines.some((l) => l.includes('dead letter')), 'the dead letter logged')
    const text = lines.join('\n')
    expect(text).toContain('webhook received')
    expect(text).toContain('delivery failed')
    for (const secret of [adminToken, stripeSecret, destinationSecret, liveKey, proxyToken]) {
      expect(text).not.toContain(secret)
    }
    const signature = delivery.headers['stripe-signature'].split('v1=')[1] as string
    expect(text).not.toContain(signature)
    expect(text).toContain('[redacted')
  })
})

describe('forwarding limits', () => {
  it('keeps at most `concurrency` deliveries in flight to a destination', async () => {
    let inFlight = 0
    let most = 0
    const delivered: string[] = []
    const url = await listen((request, response) => {
      inFlight++
      most = Math.max(most, inFlight)
      request.resume()
      // Held a moment, so deliveries that were not limited would overlap here.
      setTimeout(() => {
        inFlight--
        delivered.push(String(request.headers['x-seamline-event-id']))
        response.writeHead(200).end()
      }, 50)
    })
    const gateway = await gatewayFor(url, { concurrency: 1, rateLimit: { perSecond: 100 } })
    const ids = ['evt_c1', 'evt_c2', 'evt_c3', 'evt_c4']
    for (const id of ids) {
      const answer = await postDelivery(gateway, '/webhooks/stripe', stripeDelivery(id))
      expect(answer.statusCode).toBe(200)
    }
    await until(() => delivered.length === ids.length, 'every event delivered')
    expect(delivered.sort()).toEqual(ids)
    expect(most).toBe(1)
  })
})

describe('ordering', () => {
  it('forwards events with the same ordering key one at a time, in the order they arrived', async () => {
    let inFlight = 0
    let most = 0
    const order: string[] = []
    const url = await listen((request, response) => {
      inFlight++
      most = Math.max(most, inFlight)
      order.push(String(request.headers['x-seamline-event-id']))
      request.resume()
      // Held a moment, so deliveries that were not ordered would overlap here.
      setTimeout(() => {
        inFlight--
        response.writeHead(200).end()
      }, 30)
    })
    const config = parseConfig({
      store,
      webhooks: {
        sources: {
          ordered: {
            provider: 'stripe',
            secrets: ['STRIPE_WHSEC'],
            orderingKey: 'data.object.customer',
            destination: { url, secret: 'DEST_WHSEC' },
          },
        },
      },
    })
    const gateway = await createGateway(config, {
      env,
      log: { enabled: false },
      worker: { pollMs: 50 },
    })
    stops.push(() => gateway.stop())
    // Every event of the helper names customer cus_1: one ordering key.
    const ids = ['evt_o1', 'evt_o2', 'evt_o3', 'evt_o4']
    for (const id of ids) {
      const answer = await postDelivery(gateway, '/webhooks/ordered', stripeDelivery(id))
      expect(answer.statusCode).toBe(200)
    }
    await until(() => order.length === ids.length, 'every event delivered')
    expect(order).toEqual(ids)
    expect(most).toBe(1)
  })
})

describe('readiness', () => {
  it('answers /readyz with 503 once the store stops answering, while /healthz stays up', async () => {
    const own = sqliteStore({ path: readyPath })
    const gateway = await createGateway(parseConfig({}), {
      store: own,
      log: { enabled: false },
      worker: { pollMs: 50 },
    })
    stops.push(() => gateway.stop())
    expect((await gateway.app.inject('/readyz')).statusCode).toBe(200)
    await own.close()
    const ready = await gateway.app.inject('/readyz')
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({
      status: 'unavailable',
      reason: 'the store does not answer (TypeError)',
    })
    expect((await gateway.app.inject('/healthz')).statusCode).toBe(200)
  })
})
