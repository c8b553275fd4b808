import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { webhookScheme } from '../src/webhooks/index.js'
import {
  destinationSecret,
  stripeDelivery,
  stripeSecret,
  stripeSource,
  until,
} from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()
const githubSecret = 'forwarding-github-secret'

interface Received {
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A destination that keeps every request it gets, bytes and headers, and answers 200. */
async function destination() {
  const received: Received[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) })
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

// Ids and types no header can carry as they are.
const awkward = [
  ['evt_注文_42', 'charge.成功'],
  ['evt_🚀_rocket', 'payment.🎉'],
  ['evt_\u202eTXE_sdrawkcab', 'type.\u202edesrever'],
  ['evt_Платёж', 'платёж.создан'],
  ['evt_ctl\u0001\u0007\t', 'type.with\nnewline\r'],
  ['evt_100%_sure', 'type%20literal'],
  ['evt_space and "quotes"', 'type with spaces'],
] as const

describe('forwarding over real sockets', () => {
  let gateway: Gateway
  let url: string
  let target: Awaited<ReturnType<typeof destination>>

  beforeAll(async () => {
    target = await destination()
    gateway = await createGateway(
      parseConfig({
        store: path,
        webhooks: {
          sources: {
            stripe: stripeSource(target.url),
            github: {
              provider: 'github',
              secrets: ['GITHUB_SECRET'],
              destination: { url: target.url, secret: 'DEST_WHSEC' },
            },
          },
        },
      }),
      {
        env: {
          STRIPE_WHSEC: stripeSecret,
          GITHUB_SECRET: githubSecret,
          DEST_WHSEC: destinationSecret,
        },
        log: { enabled: false },
        worker: { pollMs: 20 },
      },
    )
    url = await gateway.start(0, '127.0.0.1')
  })
  afterAll(async () => {
    await gateway?.stop()
    await target?.close()
  })

  it('delivers every acknowledged event whatever Unicode its id and type hold', async () => {
    for (const [id, type] of awkward) {
      const delivery = stripeDelivery(id, type)
      const response = await fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      })
      expect(response.status, id).toBe(200)
    }
    await until(() => target.received.length >= awkward.length, 'every event forwarded', 30_000)
    const byId = new Map(
      target.received.map((got) => [
        decodeURIComponent(String(got.headers['x-seamline-event-id'])),
        got,
      ]),
    )
    for (const [id, type] of awkward) {
      const got = byId.get(id)
      expect(got, id).toBeDefined()
      expect(decodeURIComponent(String(got!.headers['x-seamline-event-type']))).toBe(type)
      webhookScheme('standard-webhooks').verify(got!.headers, got!.body, {
        secrets: [destinationSecret],
      })
      expect(JSON.parse(got!.body.toString('utf8'))).toMatchObject({ id, type })
    }
    // Nothing is left to fail: no job is waiting or dead.
    const dead = await gateway.store.jobs.count({ state: 'dead' })
    expect(dead).toBe(0)
    // Timed: each ack, each delivery; and the process's own metrics carry the prefix once.
    const metrics = await (await fetch(`${url}/metrics`)).text()
    const count = (series: string) =>
      Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
    expect(count('seamline_webhook_ack_seconds_count\\{source="stripe",status="200"\\}')).toBe(
      awkward.length,
    )
    expect(
      count('seamline_delivery_seconds_count\\{source="stripe",outcome="delivered"\\}'),
    ).toBeGreaterThanOrEqual(awkward.length)
    expect(metrics).toMatch(/^seamline_process_cpu_seconds_total /m)
    expect(metrics).not.toContain('seamline_process_process_')
  })

  it('keeps a plain id and type as they are', async () => {
    const delivery = stripeDelivery('evt_plain_1', 'charge.succeeded')
    await fetch(`${url}/webhooks/stripe`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    })
    await until(() =>
      target.received.some((got) => got.headers['x-seamline-event-id'] === 'evt_plain_1'),
    )
    const got = target.received.find((got) => got.headers['x-seamline-event-id'] === 'evt_plain_1')
    expect(got!.headers['x-seamline-event-type']).toBe('charge.succeeded')
  })

  it('forwards a compressed body as the bytes it came as, with its Content-Encoding', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ ref: 'refs/heads/main', commits: [] })))
    const signature = createHmac('sha256', githubSecret).update(body).digest('hex')
    const response = await fetch(`${url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-github-event': 'push',
        'x-github-delivery': 'gzip-delivery-1',
        'x-hub-signature-256': `sha256=${signature}`,
      },
      body,
    })
    expect(response.status).toBe(200)
    await until(() =>
      target.received.some((got) => got.headers['x-seamline-event-id'] === 'gzip-delivery-1'),
    )
    const got = target.received.find(
      (got) => got.headers['x-seamline-event-id'] === 'gzip-delivery-1',
    )!
    expect(got.headers['content-encoding']).toBe('gzip')
    expect(got.body.equals(body)).toBe(true)
    webhookScheme('standard-webhooks').verify(got.headers, got.body, {
      secrets: [destinationSecret],
    })
  })

  it('takes a GitHub delivery posted again under a new delivery id as a duplicate, and forwards it once', async () => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/replayed', after: 'c0ffee' }))
    const signature = `sha256=${createHmac('sha256', githubSecret).update(body).digest('hex')}`
    const post = (delivery: string) =>
      fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': signature,
        },
        body,
      })
    expect(await (await post('replay-original')).json()).toEqual({ received: true })
    expect(await (await post('replay-forged-1')).json()).toEqual({
      received: true,
      duplicate: true,
    })
    await until(() =>
      target.received.some((got) => got.headers['x-seamline-event-id'] === 'replay-original'),
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    const forwarded = target.received.filter((got) => got.body.equals(body))
    expect(forwarded).toHaveLength(1)
  })

  it('refuses a validly signed body that is not UTF-8 JSON, or holds a key twice, naming why', async () => {
    const signed = (payload: Buffer) => ({
      'content-type': 'application/json',
      ...webhookScheme('stripe').sign({ payload, secret: stripeSecret }),
    })
    const cases = [
      [Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'body_not_utf8'],
      [Buffer.from('id=evt_form&type=charge.succeeded'), 'body_not_json'],
      [
        Buffer.from('{"id":"evt_twice_a","type":"charge.succeeded","id":"evt_twice_b"}'),
        'duplicate_key',
      ],
      [Buffer.from('{"id":"evt_twice_c","\\u0069d":"evt_twice_d","type":"x"}'), 'duplicate_key'],
    ] as const
    for (const [payload, reason] of cases) {
      const response = await fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        headers: signed(payload),
        body: payload,
      })
      expect(response.status, reason).toBe(400)
      expect(await response.json()).toMatchObject({ error: reason })
    }
    expect(await gateway.store.inbox.list({ source: 'stripe', eventId: 'evt_twice_a' })).toEqual([])
  })
})
