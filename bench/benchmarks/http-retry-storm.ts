import pRetry from 'p-retry'
import type { Benchmark } from '../harness.js'
import { sleep } from '../load.js'
import { http, testing } from '../seamline.js'

let sim: testing.Simulator | undefined

/**
 * `clients` callers each start one logical call a second. The provider is down for the first
 * `outageMs` (every request answers 503), then recovers. Counts the requests that reached it
 * during the outage against the logical calls offered then, and how long after recovery the
 * last call that started during the outage finished.
 */
async function storm(clients: number, call: () => Promise<unknown>) {
  const outageMs = 25 * clients
  sim!.reset()
  sim!.setFaults([{ probability: 1, fault: { kind: 'status', status: 503 } }])
  const start = performance.now()
  let offered = 0
  let lastFinished = 0
  const recovered = sleep(outageMs).then(() => {
    sim!.setFaults([])
    return sim!.stats().total.requests
  })
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      await sleep((i * 1_000) / clients) // spread the callers over the first second
      const calls: Promise<void>[] = []
      while (performance.now() - start < outageMs) {
        offered++
        calls.push(
          call()
            .then(
              () => void 0,
              () => void 0,
            )
            .finally(() => (lastFinished = Math.max(lastFinished, performance.now()))),
        )
        await sleep(1_000)
      }
      await Promise.all(calls)
    }),
  )
  const attemptsDuringOutage = await recovered
  return {
    amplification: attemptsDuringOutage / offered,
    drainMs: Math.max(0, lastFinished - start - outageMs),
  }
}

const retryStorm: Benchmark = {
  name: 'HTTP client: retry storm during an outage',
  what: 'How much extra load retries add while the provider is down (requests that reached it ÷ logical calls offered; 1.0 means no retries at all), and how long after recovery the last call that started during the outage finished.',
  how: 'The simulator answers every request with 503 for 25 ms × clients (200 clients: 5 s), then recovers; each client starts one logical GET a second. Seamline: one `createClient` shared by all callers, default pipeline (3 attempts, full jitter from 200 ms, retry budget 20 % of recent requests). Peers: `p-retry` with its defaults (10 retries, ×2 from 1 s, no jitter), and a plain loop retrying after 100, 200, 400 … ms without jitter, up to 10 times.',
  ops: 200,
  repetitions: 5,
  metrics: [
    { key: 'amplification', label: 'load during outage (× offered)', better: 'lower' },
    { key: 'drainMs', label: 'drain after recovery (ms)', better: 'lower' },
  ],
  setup: async () => {
    sim = await testing.createSimulator({
      profile: 'generic',
      generic: { quotas: [{ name: 'default', limit: 1e9, windowSeconds: 1 }] },
    })
  },
  teardown: async () => sim?.close(),
  subjects: {
    seamline: (clients) => {
      const client = http.createClient({
        baseUrl: sim!.url,
        authorization: () => `Bearer ${sim!.credentials.apiKey}`,
      })
      return storm(clients, () => client.get('/items'))
    },
    'p-retry defaults': (clients) =>
      storm(clients, () =>
        pRetry(async () => {
          const response = await fetch(`${sim!.url}/items`, {
            headers: { authorization: `Bearer ${sim!.credentials.apiKey}` },
          })
          await response.arrayBuffer()
          if (response.status >= 500) throw new Error(`status ${response.status}`)
        }),
      ),
    'no-jitter loop': (clients) =>
      storm(clients, async () => {
        for (let attempt = 0; ; attempt++) {
          const response = await fetch(`${sim!.url}/items`, {
            headers: { authorization: `Bearer ${sim!.credentials.apiKey}` },
          })
          await response.arrayBuffer()
          if (response.status < 500 || attempt === 10) return
          await sleep(100 * 2 ** attempt)
        }
      }),
  },
}

export default [retryStorm]
