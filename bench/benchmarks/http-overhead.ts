import { Agent as HttpAgent, createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import got from 'got'
import { Agent, request } from 'undici'
import type { Benchmark } from '../harness.js'
import { closedLoop } from '../load.js'
import { http } from '../seamline.js'

const concurrency = 50
let server: Server | undefined
let url = ''
const agent = new Agent({ connections: concurrency })
const body = JSON.stringify({ id: 'cus_123', object: 'customer', email: 'a@example.com' })

const seamline = () =>
  http.createClient({ baseUrl: url, transport: http.undiciTransport({ dispatcher: agent }) })
let client: ReturnType<typeof seamline> | undefined
const gotClient = () =>
  got.extend({
    prefixUrl: url,
    agent: { http: new HttpAgent({ keepAlive: true, maxSockets: concurrency }) },
    retry: { limit: 2 },
  })
let gotInstance: ReturnType<typeof gotClient> | undefined

const overhead: Benchmark = {
  name: 'HTTP client: overhead with no failures',
  what: 'Throughput and p99 latency of GET calls that all succeed: the cost of the resilience pipeline when nothing goes wrong.',
  how: `${concurrency} concurrent callers, back to back, against a local keep-alive node:http server answering a small JSON body. Seamline: \`createClient\` with its default pipeline (deadline, retry with budget, attempt timeout, JSON parsing) over undici. Peers: bare \`undici.request\` on the same undici Agent (body read as JSON), \`got\` 14 with retries on (got 15 needs Node 22) on a keep-alive agent, and Node's \`fetch\`.`,
  ops: 20_000,
  metrics: [
    { key: 'opsPerSec', label: 'calls/s', better: 'higher' },
    { key: 'p99Ms', label: 'p99 ms', better: 'lower' },
  ],
  setup: async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(body),
    )
    server.keepAliveTimeout = 60_000
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    client = seamline()
    gotInstance = gotClient()
  },
  teardown: async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    await agent.close()
  },
  subjects: {
    seamline: (n) => closedLoop(n, concurrency, () => client!.get('/v1/customers/cus_123')),
    'undici.request': (n) =>
      closedLoop(n, concurrency, async () => {
        const response = await request(`${url}/v1/customers/cus_123`, { dispatcher: agent })
        return response.body.json()
      }),
    got: (n) => closedLoop(n, concurrency, () => gotInstance!.get('v1/customers/cus_123').json()),
    fetch: (n) =>
      closedLoop(n, concurrency, async () => {
        const response = await fetch(`${url}/v1/customers/cus_123`)
        return response.json()
      }),
  },
}

export default [overhead]
