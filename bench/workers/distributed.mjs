// One of the processes of the distributed benchmark: `callers` loops that each wait for the
// shared limit and then GET `url`, until `runMs` have passed. Prints one JSON line: the Redis
// time of each admission when the limiter reports it (Seamline), else an empty list.
//   node distributed.mjs MODE URL REDIS_URL ID LIMIT RUN_MS CALLERS
import Bottleneck from 'bottleneck'
import { Redis } from 'ioredis'
import { Agent, request } from 'undici'
import { createClient, createLimiter } from '../../dist/http/index.js'
import { redisQuotaStore } from '../../dist/limits/index.js'

const [mode, url, redisUrl, id, limitText, runMsText, callersText] = process.argv.slice(2)
const limit = Number(limitText)
const stop = Date.now() + Number(runMsText)
const dispatcher = new Agent({ connections: Number(callersText) })
const admitted = []
let redis
let send
let close = async () => undefined

if (mode === 'seamline') {
  redis = new Redis(redisUrl)
  // Notes the Redis clock of every admission the shared script reports.
  const note = (args, reply) => {
    if (args[2 + Number(args[1])] === 'take' && reply[0] === 1) admitted.push(Number(reply[3]))
    return reply
  }
  const recording = {
    evalsha: async (...args) => note(args, await redis.evalsha(...args)),
    eval: async (...args) => note(args, await redis.eval(...args)),
  }
  const limiter = createLimiter({
    name: id,
    quotas: [{ name: 'second', limit, windowMs: 1_000 }],
    store: redisQuotaStore({ redis: recording, prefix: 'seamline-bench:' }),
  })
  const client = createClient({ baseUrl: url, limiter, retry: false })
  send = () =>
    client
      .get('/v1/customers', { deadlineMs: Math.max(1, stop - Date.now()) })
      .catch(() => undefined)
  close = async () => redis.quit()
} else {
  const { hostname, port } = new URL(redisUrl)
  const gate = new Bottleneck({
    id,
    datastore: 'ioredis',
    clientOptions: { host: hostname, port: Number(port) },
    reservoir: limit,
    reservoirRefreshAmount: limit,
    reservoirRefreshInterval: 1_000,
    // In clustering mode the reservoir is refreshed on the heartbeat (default every 5 s).
    heartbeatInterval: 100,
  })
  await gate.ready()
  send = () =>
    gate
      .schedule(async () => {
        const response = await request(`${url}/v1/customers`, { dispatcher })
        await response.body.dump()
      })
      .catch(() => undefined)
  close = () => gate.disconnect()
}

await Promise.all(
  Array.from({ length: Number(callersText) }, async () => {
    while (Date.now() < stop) await send()
  }),
)
process.stdout.write(`${JSON.stringify(admitted)}\n`)
await close()
await dispatcher.close()
process.exit(0)
