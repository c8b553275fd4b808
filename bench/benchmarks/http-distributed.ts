import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Benchmark } from '../harness.js'

const processes = 4
const callersPerProcess = 25
const limit = 100
const runMs = 5_000
const worker = fileURLToPath(new URL('../workers/distributed.mjs', import.meta.url))
const redisUrl = process.env.SEAMLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
let server: Server | undefined
let url = ''
let arrivals: number[] = []
let runs = 0

/** The most arrivals in any one-second stretch. */
function peak(times: number[]): number {
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j]! <= times[i]! - 1_000) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

/** Runs the processes in `mode` against the counting server; reports what it saw. */
async function distributed(mode: 'seamline' | 'bottleneck') {
  arrivals = []
  const id = `bench-${process.pid}-${runs++}`
  const outputs = await Promise.all(
    Array.from({ length: processes }, () =>
      promisify(execFile)(process.execPath, [
        worker,
        mode,
        url,
        redisUrl,
        id,
        String(limit),
        String(runMs),
        String(callersPerProcess),
      ]),
    ),
  )
  const seen = arrivals.sort((a, b) => a - b)
  const admitted = outputs
    .flatMap(({ stdout }) => JSON.parse(stdout) as number[])
    .sort((a, b) => a - b)
  // Whole seconds from the first arrival, so a burst at each window's start is counted once.
  const inRun = seen.filter((t) => t < seen[0]! + runMs).length
  return {
    goodput: (100 * inRun) / (runMs / 1_000) / limit,
    peak: (100 * peak(seen)) / limit,
    ...(admitted.length > 0 ? { admittedPeak: (100 * peak(admitted)) / limit } : {}),
  }
}

const distributedLimit: Benchmark = {
  name: 'Rate limiting: one limit shared by 4 processes through Redis',
  what: `The most calls that reached the provider in any one second (peak), and the calls per second that reached it (goodput), both as a share of a ${limit}/s limit shared by ${processes} processes.`,
  how: `${processes} Node processes, each with ${callersPerProcess} callers calling as fast as the shared limit lets them for ${runMs / 1_000} s, against a local server that records when each request arrives. Seamline: \`createClient\` with \`createLimiter\` of ${limit} per 1,000 ms on \`redisQuotaStore\` (for Seamline, "admitted peak" is also counted on Redis's own clock from the admissions the script reports). Peer: \`bottleneck\` in clustering mode (ioredis datastore) with a reservoir of ${limit} refreshed every second.`,
  ops: 1,
  repetitions: 5,
  metrics: [
    { key: 'peak', label: 'peak second at the provider (% of limit)', better: 'lower' },
    { key: 'goodput', label: 'goodput (% of limit)', better: 'higher' },
    { key: 'admittedPeak', label: 'admitted peak, Redis clock (% of limit)', better: 'lower' },
  ],
  setup: async () => {
    server = createServer((_req, res) => {
      arrivals.push(performance.now())
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list"}')
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  },
  teardown: async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
  },
  subjects: {
    seamline: () => distributed('seamline'),
    bottleneck: () => distributed('bottleneck'),
  },
}

export default [distributedLimit]
