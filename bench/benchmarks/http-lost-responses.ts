import pRetry from 'p-retry'
import Stripe from 'stripe'
import type { Benchmark } from '../harness.js'
import { http, policies, testing } from '../seamline.js'

const concurrency = 10
let sim: testing.Simulator | undefined

async function charges(ops: number, charge: (operation: string) => Promise<unknown>) {
  sim!.reset()
  let left = ops
  let failed = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        const operation = `order-${left--}`
        await charge(operation).catch(() => failed++)
      }
    }),
  )
  const stats = sim!.stats().routes['POST /v1/charges']
  return {
    duplicates: stats?.duplicateExecutionsByOperation ?? 0,
    failed,
    opsPerSec: ops / ((performance.now() - start) / 1_000),
  }
}

const lostResponses: Benchmark = {
  name: 'HTTP client: lost responses on POST',
  what: 'Charges created through a connection that resets after the provider executed the request 30 % of the time (the effect happened, the response is lost): duplicate charges, and calls that still failed.',
  how: `The simulator's stripe profile with a seeded 30 % "reset after executing" fault on POST /v1/charges; ${concurrency} concurrent callers, each charge tagged with its own operation id so the simulator counts duplicate executions. Seamline: \`createClient\` with Stripe's Idempotency-Key header and up to 10 attempts. Peers: the official \`stripe\` SDK with \`maxNetworkRetries: 9\` (it adds its own idempotency keys), and a naive loop (\`p-retry\`, 9 retries, no idempotency key).`,
  ops: 150,
  repetitions: 5,
  metrics: [
    { key: 'duplicates', label: 'duplicate charges', better: 'lower' },
    { key: 'failed', label: 'failed calls', better: 'lower' },
    { key: 'opsPerSec', label: 'calls/s', better: 'higher' },
  ],
  setup: async () => {
    sim = await testing.createSimulator({
      profile: 'stripe',
      seed: 42,
      stripe: { ratePerSecond: 1e9, concurrency: 1e9 },
      faults: [{ route: 'POST /v1/charges', probability: 0.3, fault: { kind: 'reset-after' } }],
    })
  },
  teardown: async () => sim?.close(),
  subjects: {
    seamline: (n) => {
      const client = http.createClient({
        baseUrl: sim!.url,
        authorization: () => `Bearer ${sim!.credentials.apiKey}`,
        idempotencyHeader: 'Idempotency-Key',
        retry: {
          maxAttempts: 10,
          backoff: policies.backoff({ baseMs: 5, capMs: 50 }),
          budget: policies.retryBudget({ ratio: 1, minRetries: 1_000 }),
        },
      })
      return charges(n, (operation) =>
        client.post('/v1/charges', {
          form: { amount: 100, currency: 'usd', metadata: { operation_id: operation } },
        }),
      )
    },
    'stripe SDK': (n) => {
      const { port } = new URL(sim!.url)
      const stripe = new Stripe(sim!.credentials.apiKey!, {
        host: '127.0.0.1',
        port: Number(port),
        protocol: 'http',
        maxNetworkRetries: 9,
      })
      return charges(n, (operation) =>
        stripe.charges.create({
          amount: 100,
          currency: 'usd',
          metadata: { operation_id: operation },
        }),
      )
    },
    'naive retry loop': (n) =>
      charges(n, (operation) =>
        pRetry(
          async () => {
            const response = await fetch(`${sim!.url}/v1/charges`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${sim!.credentials.apiKey}`,
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: `amount=100&currency=usd&metadata[operation_id]=${operation}`,
            })
            await response.arrayBuffer()
          },
          { retries: 9, minTimeout: 5, maxTimeout: 50 },
        ),
      ),
  },
}

export default [lostResponses]
