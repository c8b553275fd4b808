import Bottleneck from 'bottleneck'
import PQueue from 'p-queue'
import type { Benchmark } from '../harness.js'
import { http, limits, testing } from '../seamline.js'

const callers = 200
const limit = 100
let sim: testing.Simulator | undefined

/** `callers` callers send GETs back to back for `ops` × 10 ms, each through `gate`; counts outcomes. */
async function saturate(ops: number, send: () => Promise<number>) {
  const durationMs = ops * 10
  sim!.reset()
  const start = performance.now()
  let ok = 0
  let limited = 0
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() - start < durationMs) {
        const status = await send()
        if (status === 429) limited++
        else if (status === 200) ok++
      }
    }),
  )
  const seconds = (performance.now() - start) / 1_000
  return {
    goodput: (100 * ok) / seconds / limit,
    limitedPct: (100 * limited) / Math.max(1, ok + limited),
  }
}

const get = async (): Promise<number> => {
  const response = await fetch(`${sim!.url}/v1/customers`, {
    headers: { authorization: `Bearer ${sim!.credentials.apiKey}` },
  })
  await response.arrayBuffer()
  return response.status
}

const quotaPrecision: Benchmark = {
  name: 'Rate limiting: goodput against a provider limit',
  what: `Successful calls per second as a share of Stripe's live limit of ${limit}/s (goodput), and the share of calls answered 429, with ${callers} callers pushing as hard as they can.`,
  how: `The simulator's stripe profile in live mode (a token bucket of ${limit}/s). ${callers} concurrent callers for ops × 10 ms (10 s in a full run), no retries, every call through the limiter under test. Seamline: \`createLimiter\` with one quota of 95/s (5 % headroom: a client counts when it sends, the provider when the request arrives) inside \`createClient\`. Peers configured for ${limit}/s: \`bottleneck\` (reservoir ${limit}, refreshed every second) and \`p-queue\` (intervalCap ${limit} per 1,000 ms).`,
  ops: 1_000,
  repetitions: 5,
  metrics: [
    { key: 'goodput', label: 'goodput (% of limit)', better: 'higher' },
    { key: 'limitedPct', label: '429s (% of calls)', better: 'lower' },
  ],
  setup: async () => {
    sim = await testing.createSimulator({
      profile: 'stripe',
      stripe: { mode: 'live', concurrency: 1e9 },
    })
  },
  teardown: async () => sim?.close(),
  subjects: {
    seamline: (ops) => {
      const limiter = limits.createLimiter({
        quotas: [{ name: 'second', limit: 95, windowMs: 1_000 }],
      })
      const client = http.createClient({
        baseUrl: sim!.url,
        authorization: () => `Bearer ${sim!.credentials.apiKey}`,
        limiter,
        retry: false,
      })
      return saturate(ops, () =>
        client.get('/v1/customers').then(
          (r) => r.status,
          (e: { status?: number }) => e.status ?? 0,
        ),
      )
    },
    bottleneck: (ops) => {
      const gate = new Bottleneck({
        reservoir: limit,
        reservoirRefreshAmount: limit,
        reservoirRefreshInterval: 1_000,
      })
      return saturate(ops, () => gate.schedule(get)).finally(() =>
        gate.stop({ dropWaitingJobs: true }),
      )
    },
    'p-queue': (ops) => {
      const queue = new PQueue({ intervalCap: limit, interval: 1_000 })
      return saturate(ops, () => queue.add(get) as Promise<number>).finally(() => queue.clear())
    },
  },
}

export default [quotaPrecision]
