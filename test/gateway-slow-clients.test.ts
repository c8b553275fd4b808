import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig } from '../src/gateway/index.js'
import { stripeSecret, stripeSource, until } from './helpers/gateway.js'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'seamline-slow-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Short deadlines, so that the test waits seconds, not the defaults' half-minute.
const timeouts = { headersMs: 1_000, requestMs: 2_000, idleMs: 1_000 }

const rssMiB = (pid: number): number => {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(line?.[1] ?? 0) / 1024
}

/** A raw connection to the gateway that writes `head` and then what `feed` sends, and stalls. */
function stalling(port: number, head: string, feed?: (socket: Socket) => void) {
  const socket = connect(port, '127.0.0.1')
  let answer = ''
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(answer))
  })
  socket.on('connect', () => {
    socket.write(head)
    feed?.(socket)
  })
  return { socket, closed }
}

describe('slow and stuck clients, against `seamline start`', () => {
  let child: ReturnType<typeof spawn>
  let port = 0

  beforeAll(async () => {
    const config = join(dir, 'seamline.json')
    writeFileSync(
      config,
      JSON.stringify({
        store: join(dir, 'slow.sqlite'),
        logLevel: 'warn',
        server: { timeouts, maxConnections: 1_000 },
        webhooks: {
          sources: {
            stripe: stripeSource('http://127.0.0.1:9/hooks'),
          },
        },
      }),
    )
    child = spawn(process.execPath, [bin, 'start', '--config', config, '--port', '0'], {
      cwd: dir,
      env: {
        ...process.env,
        STRIPE_WHSEC: stripeSecret,
        DEST_WHSEC: `whsec_${Buffer.from('slow-clients-destination-key').toString('base64')}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    await until(() => /on http:\/\/\S+:(\d+)/.test(stdout), 'the gateway printing its URL')
    port = Number(/on http:\/\/\S+:(\d+)/.exec(stdout)![1])
  })
  afterAll(async () => {
    child.kill('SIGTERM')
    await once(child, 'exit')
  })

  it('closes 300 never-ending chunked bodies at the request deadline', async () => {
    const started = Date.now()
    const clients = Array.from({ length: 300 }, () =>
      stalling(
        port,
        'POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nStripe-Signature: t=1,v1=00\r\n\r\n',
        (socket) => socket.write('5\r\n{"id"\r\n'),
      ),
    )
    const answers = await Promise.all(clients.map((client) => client.closed))
    const seconds = (Date.now() - started) / 1_000
    console.log(`300 chunked bodies closed after ${seconds} s (deadline ${timeouts.requestMs} ms)`)
    // Closed by the deadline, not before it: each was told 408 where its socket still listened.
    expect(seconds).toBeGreaterThanOrEqual(timeouts.requestMs / 1_000 - 0.1)
    expect(answers.filter((answer) => answer.startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
  }, 60_000)

  it('closes headers that never end at the headers deadline', async () => {
    const clients = Array.from({ length: 50 }, () =>
      stalling(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
    )
    const answers = await Promise.all(clients.map((client) => client.closed))
    expect(answers.every((answer) => answer === '' || answer.startsWith('HTTP/1.1 408'))).toBe(true)
  }, 60_000)

  it('holds little of 40 stalled 9 MiB bodies, and frees it: RSS back within 50 MB of its baseline', async () => {
    const baseline = rssMiB(child.pid!)
    const eightMiB = Buffer.alloc(8 * 1024 * 1024, 0x61)
    const clients = Array.from({ length: 40 }, () =>
      stalling(
        port,
        `POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${9 * 1024 * 1024}\r\n\r\n`,
        (socket) => socket.write(eightMiB),
      ),
    )
    let peak = baseline
    const sampling = setInterval(() => (peak = Math.max(peak, rssMiB(child.pid!))), 50)
    const answers = await Promise.all(clients.map((client) => client.closed))
    clearInterval(sampling)
    // Past the bytes unverified bodies may hold, the rest were told to come again at once.
    expect(answers.filter((answer) => answer.startsWith('HTTP/1.1 503')).length).toBeGreaterThan(30)
    let after = rssMiB(child.pid!)
    await until(
      () => (after = rssMiB(child.pid!)) < baseline + 50,
      'RSS back near its baseline',
      20_000,
    ).catch(() => undefined)
    console.log(
      `RSS: baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${after.toFixed(0)} MiB`,
    )
    expect(after).toBeLessThan(baseline + 50)
  }, 60_000)
})

describe('the connection cap', () => {
  it('closes a connection past server.maxConnections at once, and takes one again when one closes', async () => {
    const gateway = await createGateway(
      parseConfig({ store: ':memory:', server: { maxConnections: 3 } }),
      { log: { enabled: false } },
    )
    try {
      const port = Number(new URL(await gateway.start(0, '127.0.0.1')).port)
      const held = Array.from({ length: 3 }, () => stalling(port, ''))
      await Promise.all(held.map(({ socket }) => once(socket, 'connect')))
      await new Promise((resolve) => setTimeout(resolve, 100))
      const extra = stalling(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
      expect(await extra.closed).toBe('')
      held[0]!.socket.destroy()
      await held[0]!.closed
      await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200)
      for (const { socket } of held) socket.destroy()
    } finally {
      await gateway.stop()
    }
  })
})
