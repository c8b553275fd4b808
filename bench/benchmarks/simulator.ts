import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { testing } from '../seamline.js'
import type { Benchmark } from '../harness.js'

const concurrency = 50
let sim: testing.Simulator | undefined
let bare: Server | undefined
let bareUrl = ''
let key = 0

// `concurrency` callers each send requests back to back until `ops` have been sent in all.
async function load(ops: number, send: () => Promise<Response>): Promise<void> {
  let left = ops
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const response = await send()
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(`unexpected ${response.status}`)
      }
    }),
  )
}

const createCustomer: Benchmark = {
  name: 'Simulator: serving capacity',
  what: 'Requests per second the stripe profile serves: bearer auth, token bucket, concurrency limit, idempotency-key reservation, form parsing, a stored customer and its event, JSON out.',
  how: `${concurrency} concurrent fetch callers on loopback POST /v1/customers, each with a fresh Idempotency-Key. Peer: a bare node:http server that reads the body and answers a similar JSON object (the floor any Node simulator pays).`,
  ops: 5_000,
  setup: async () => {
    sim = await testing.createSimulator({
      profile: 'stripe',
      stripe: { ratePerSecond: 1e9, concurrency: 1e9 },
    })
    bare = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = JSON.stringify({
          id: 'cus_x',
          object: 'customer',
          email: Buffer.concat(chunks).toString(),
        })
        res.writeHead(200, { 'content-type': 'application/json' }).end(body)
      })
    })
    await new Promise<void>((r) => bare!.listen(0, '127.0.0.1', r))
    bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/v1/customers`
  },
  teardown: async () => {
    await sim?.close()
    bare?.closeAllConnections()
    await new Promise((r) => bare?.close(r))
  },
  subjects: {
    seamline: (n) =>
      load(n, () =>
        fetch(`${sim!.url}/v1/customers`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${sim!.credentials.apiKey}`,
            'content-type': 'application/x-www-form-urlencoded',
            'idempotency-key': `k${key++}`,
          },
          body: 'email=a%40example.com&metadata[plan]=pro',
        }),
      ),
    'bare node:http': (n) =>
      load(n, () =>
        fetch(bareUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'idempotency-key': `k${key++}`,
          },
          body: 'email=a%40example.com&metadata[plan]=pro',
        }),
      ),
  },
}

export default [createCustomer]
