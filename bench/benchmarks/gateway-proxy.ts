import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import type { Benchmark } from '../harness.js'
import { percentile } from '../harness.js'
import { sleep } from '../load.js'

// The gateway's egress proxy: the app calls /proxy/stripe/… without credentials and the gateway
// injects them, applies quotas, retries, timeouts, a circuit breaker and an idempotency key,
// against the same app calling the provider (the simulator) directly with its own key.

const worker = fileURLToPath(new URL('../workers/gateway-proxy.mjs', import.meta.url))
const inFlight = 32
const pacedRate = 1_000
const pacedMs = 3_000
const apiPath = '/v1/customers?limit=3'
// The write: a form body, each call under an idempotency key of its own.
const postPath = '/v1/customers'
const postBody = 'email=ada%40example.com&name=Ada+Lovelace&metadata%5Bplan%5D=pro'
// What the app holds in place of the key: the gateway's proxy token.
const proxyToken = 'sl_proxy_bench-token-0123456789abcdefghij'

interface Child {
  info: { port: number; apiKey?: string }
  stop(): Promise<void>
}

async function start(...args: string[]): Promise<Child> {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done) throw new Error(`gateway-proxy.mjs ${args[0]} did not start`)
  return {
    info: JSON.parse(first.value) as Child['info'],
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.stdin.end()
      await exited
    },
  }
}

interface Target {
  origin: string
  path: string
  headers: Record<string, string>
  /** A POST's form body; a GET without it. */
  body?: string
}

let keys = 0
async function call(pool: Pool, target: Target): Promise<number> {
  const response = await pool.request(
    target.body === undefined
      ? { method: 'GET', path: target.path, headers: target.headers }
      : {
          method: 'POST',
          path: target.path,
          headers: {
            ...target.headers,
            'content-type': 'application/x-www-form-urlencoded',
            'idempotency-key': `bench-${process.pid}-${keys++}`,
          },
          body: target.body,
        },
  )
  await response.body.dump()
  return response.statusCode
}

/** `inFlight` calls at a time, back to back; calls per second. */
async function saturate(target: Target, ops: number): Promise<number> {
  const pool = new Pool(target.origin, { connections: inFlight, keepAliveTimeout: 60_000 })
  let next = 0
  let failed = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) if ((await call(pool, target)) !== 200) failed++
    }),
  )
  const seconds = (performance.now() - start) / 1_000
  await pool.close()
  if (failed > 0) throw new Error(`${failed} of ${ops} calls not answered 200`)
  return ops / seconds
}

/** `pacedRate` calls a second on schedule (open loop); latency from each call's scheduled time. */
async function paced(target: Target): Promise<{ p50: number; p99: number }> {
  const pool = new Pool(target.origin, { connections: 128, keepAliveTimeout: 60_000 })
  const total = Math.round((pacedRate * pacedMs) / 1_000)
  const latencies: number[] = []
  const pending: Promise<void>[] = []
  let failed = 0
  const start = performance.now()
  let next = 0
  while (next < total) {
    const now = performance.now()
    while (next < total && start + (next * 1_000) / pacedRate <= now) {
      const scheduled = start + (next++ * 1_000) / pacedRate
      pending.push(
        call(pool, target).then((status) => {
          if (status !== 200) failed++
          latencies.push(performance.now() - scheduled)
        }),
      )
    }
    await sleep(1)
  }
  await Promise.all(pending)
  await pool.close()
  if (failed > 0) throw new Error(`${failed} of ${total} calls not answered 200`)
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

const run = async (target: Target, ops: number) => {
  const callsPerSec = await saturate(target, ops)
  await sleep(200)
  return { callsPerSec, ...(await paced(target)) }
}

const calls = {
  GET: `\`GET ${apiPath}\` (about 1 KB answered)`,
  POST: `\`POST ${postPath}\` with a form body of ${postBody.length} bytes and an \`Idempotency-Key\` of its own (the simulator creates a customer and keeps the key's answer)`,
}

function proxyBenchmark(method: 'GET' | 'POST'): Benchmark {
  let upstream: Child | undefined
  let gateway: Child | undefined
  let bare: Child | undefined
  const targets: { proxied?: Target; direct?: Target; bare?: Target } = {}
  const path = method === 'GET' ? apiPath : postPath
  const body = method === 'POST' ? { body: postBody } : {}
  return {
    name:
      method === 'GET'
        ? 'Gateway: egress proxy overhead'
        : 'Gateway: egress proxy overhead, POST with an idempotency key',
    what: `Calls to a provider through the gateway's proxy (\`/proxy/stripe/…\`, credentials injected by the gateway) against the same calls made straight to the provider: calls per second under saturating load, and latency at ${pacedRate.toLocaleString('en-US')} calls/s offered.`,
    how: `The provider is the Stripe simulator (\`createSimulator\`, unlimited rate, no faults), the gateway is \`createGateway\` with \`providers.stripe\` pointed at it (its key from an environment variable, the quota raised out of the way, logs at \`warn\`); each runs in a child process of its own, and this process generates the load with an undici \`Pool\` on keep-alive connections to 127.0.0.1. Every call is ${calls[method]}. calls/s: ops calls with ${inFlight} in flight, each answered before the next is sent on its connection. Latency: then ${pacedMs / 1_000} s at ${pacedRate.toLocaleString('en-US')} calls/s offered on schedule (open loop), counted from each call's scheduled time to the end of its answer. \`seamline\` goes through the gateway (with a proxy token, no credential); \`direct\` calls the simulator with the key itself; \`bare proxy\` goes through the least a proxy can be (node:http handing each call to undici with the key put in, nothing checked or retried), which shows what any proxy costs on this machine, where the load, the proxy and the provider share its cores. The ratio on calls/s is the share of the direct throughput the proxy keeps; the gap in latency is what the gateway adds to a call.`,
    durability: 'no storage on the path (the proxy keeps nothing; its store is in memory)',
    ops: 5_000,
    repetitions: 5,
    metrics: [
      { key: 'callsPerSec', label: 'calls/s', better: 'higher' },
      { key: 'p50', label: `p50 ms at ${pacedRate.toLocaleString('en-US')}/s`, better: 'lower' },
      { key: 'p99', label: `p99 ms at ${pacedRate.toLocaleString('en-US')}/s`, better: 'lower' },
    ],
    setup: async () => {
      upstream = await start('upstream')
      const origin = `http://127.0.0.1:${upstream.info.port}`
      const apiKey = upstream.info.apiKey ?? ''
      gateway = await start('gateway', origin, apiKey, proxyToken)
      bare = await start('bare', origin, apiKey)
      targets.direct = { origin, path, headers: { authorization: `Bearer ${apiKey}` }, ...body }
      targets.bare = {
        origin: `http://127.0.0.1:${bare.info.port}`,
        path: `/proxy/stripe${path}`,
        headers: {},
        ...body,
      }
      targets.proxied = {
        origin: `http://127.0.0.1:${gateway.info.port}`,
        path: `/proxy/stripe${path}`,
        headers: { authorization: `Bearer ${proxyToken}` },
        ...body,
      }
    },
    teardown: async () => {
      await gateway?.stop()
      await bare?.stop()
      await upstream?.stop()
    },
    subjects: {
      seamline: (ops) => run(targets.proxied!, ops),
      direct: (ops) => run(targets.direct!, ops),
      'bare proxy': (ops) => run(targets.bare!, ops),
    },
  }
}

export default [proxyBenchmark('GET'), proxyBenchmark('POST')]
