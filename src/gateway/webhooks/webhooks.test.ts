import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import {
  familyApp,
  fakeInbox,
  fakeJobs,
  testServices,
} from '../../../test/helpers/gateway-services.js'
import type { JobContext } from '../../jobs/index.js'
import { webhookScheme, type WebhookEvent } from '../../webhooks/index.js'
import { webhookRoutes } from './index.js'

const destinationSecret = `whsec_${Buffer.from('family-test-destination-key!!!').toString('base64')}`

/** A destination on 127.0.0.1 answering each request with the next status of `statuses`. */
async function destination(statuses: number[]) {
  const seen: { headers: IncomingHttpHeaders; body: string }[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      seen.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      const status = statuses[Math.min(seen.length, statuses.length) - 1] ?? 200
      response.writeHead(status, { location: 'http://127.0.0.1:9/elsewhere' }).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
  return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) }
}

const event = (id: string): WebhookEvent =>
  ({
    id,
    type: 'charge.succeeded',
    payload: {},
    raw: { headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"id":"${id}"}`) },
  }) as unknown as WebhookEvent

const context = (attempt: number) =>
  ({ job: { attempt }, signal: new AbortController().signal }) as unknown as JobContext

/** Services with one source, `stripe`, forwarding to `url`. */
const servicesFor = (url: string, given: Parameters<typeof testServices>[0]) =>
  testServices({
    ...given,
    config: {
      webhooks: {
        sources: {
          stripe: {
            provider: 'stripe',
            secrets: ['STRIPE_WHSEC'],
            route: '/stripe/events',
            destination: { url, secret: 'DEST' },
          },
        },
      },
    },
    secrets: {
      sources: { stripe: { verify: [], destination: destinationSecret } },
      providers: {},
      callback: undefined,
      proxyTokens: [],
      adminToken: undefined,
    },
  })

describe('webhooks family', () => {
  let app: FastifyInstance | undefined
  let close: (() => Promise<unknown>) | undefined
  afterEach(async () => {
    await app?.close()
    await close?.()
  })

  it('hands each route the raw bytes, and a forwarder to each source', async () => {
    const { inbox, received, handlers } = fakeInbox()
    const services = servicesFor('http://127.0.0.1:9/hooks', { inbox })
    app = await familyApp(webhookRoutes, services)
    const body = '{ "id": "evt_1",  "spaced": true }'
    for (const url of ['/webhooks/stripe', '/stripe/events']) {
      const answer = await app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': 'application/json' },
      })
      expect(answer.statusCode).toBe(200)
    }
    expect(received).toEqual([
      { source: 'stripe', body },
      { source: 'stripe', body },
    ])
    expect([...handlers.keys()]).toEqual(['stripe'])
  })

  it('forwards signed through the client: a 2xx delivered, a redirect not followed, each attempt counted', async () => {
    const target = await destination([200, 307])
    close = target.close
    const { inbox, handlers } = fakeInbox()
    const { jobs } = fakeJobs()
    const services = servicesFor(target.url, { inbox, jobs })
    app = await familyApp(webhookRoutes, services)
    const forward = handlers.get('stripe') as (e: WebhookEvent, ctx: JobContext) => Promise<void>
    await forward(event('evt_1'), context(1))
    await expect(forward(event('evt_2'), context(1))).rejects.toMatchObject({
      code: 'SEAM_ERR_WEBHOOK_DELIVERY_FAILED',
    })
    expect(target.seen).toHaveLength(2)
    const [first] = target.seen
    expect(first!.headers['x-seamline-event-id']).toBe('evt_1')
    webhookScheme('standard-webhooks').verify(first!.headers, first!.body, {
      secrets: [destinationSecret],
      clock: services.clock,
    })
    const text = await services.registry.metrics()
    expect(text).toContain('seamline_delivery_attempts_total{source="stripe",status="200"} 1')
    expect(text).toContain('seamline_delivery_attempts_total{source="stripe",status="307"} 1')
    expect(text).toContain('seamline_deliveries_total{source="stripe",outcome="delivered"} 1')
  })
})
