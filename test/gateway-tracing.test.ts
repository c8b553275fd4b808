import { trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'
import {
  destinationSecret,
  startReceiver,
  postDelivery,
  stripeDelivery,
  stripeSecret,
  until,
} from './helpers/gateway.js'

const path = useTempSqliteFile()
const exporter = new InMemorySpanExporter()

describe('gateway spans, with @opentelemetry/api installed and a provider registered', () => {
  let gateway: Gateway
  let receiver: Awaited<ReturnType<typeof startReceiver>>

  beforeAll(async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    )
    receiver = await startReceiver({ evt_trace_flaky: [503, 200] })
    gateway = await createGateway(
      parseConfig({
        store: path,
        webhooks: {
          sources: {
            stripe: {
              provider: 'stripe',
              secrets: ['STRIPE_WHSEC'],
              destination: {
                url: receiver.url,
                secret: 'DEST_WHSEC',
                retry: { maxAttempts: 3, baseMs: 10, capMs: 20 },
              },
            },
          },
        },
      }),
      {
        env: { STRIPE_WHSEC: stripeSecret, DEST_WHSEC: destinationSecret },
        log: { enabled: false },
        worker: { pollMs: 20 },
      },
    )
  })
  afterAll(async () => {
    await gateway?.stop()
    await receiver?.close()
    trace.disable()
  })

  it('makes a server span per request, named by route, and a span per job run', async () => {
    const answer = await postDelivery(
      gateway,
      '/webhooks/stripe',
      stripeDelivery('evt_trace_flaky'),
    )
    expect(answer.statusCode).toBe(200)
    const runs = () => exporter.getFinishedSpans().filter((s) => s.name === 'job webhook:stripe')
    await until(() => runs().length === 2, 'two delivery attempts traced')
    const [request] = exporter.getFinishedSpans().filter((s) => s.name === 'POST /webhooks/:source')
    expect(request?.attributes).toMatchObject({
      'http.route': '/webhooks/:source',
      'http.response.status_code': 200,
    })
    // The first attempt met a 503 and failed; the second delivered.
    expect(runs().map((s) => [s.attributes['seamline.job.attempt'], s.status.code])).toEqual([
      [1, 2],
      [2, 0],
    ])
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain(
      stripeSecret,
    )
  })
})
