import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobs, type Jobs } from '../src/jobs/index.js'
import { sqliteStore, type Store } from '../src/stores/index.js'
import { FakeClock } from '../src/time/index.js'
import { webhookScheme } from '../src/webhooks/index.js'
import { createWebhookInbox, nodeHandler } from '../src/webhooks/inbox/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

// Malformed and forged deliveries at the node:http adapter: none may be accepted, every one must
// be answered with a 4xx, and the process must neither crash nor keep what it refused.

const REQUESTS = 100_000
const RAW_REQUESTS = 2_000
const CONCURRENCY = 50
const MAX_BODY = 64 * 1024
const SEED = Number(process.env['SEAMLINE_FUZZ_SEED'] ?? 0x5ea11e)

const secrets = {
  stripe: 'whsec_fuzz_stripe',
  github: 'fuzz-github-secret',
  std: `whsec_${Buffer.from('fuzz standard webhooks key').toString('base64')}`,
}
const wrongSecrets = {
  stripe: 'whsec_fuzz_wrong',
  github: 'fuzz-github-wrong',
  std: `whsec_${Buffer.from('not the key at all').toString('base64')}`,
}

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number) {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (max: number): number => Math.floor(next() * max)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const bytes = (length: number): Buffer => {
    const out = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++) out[i] = int(256)
    return out
  }
  // Printable ASCII, tab, and now and then a Latin-1 byte (obs-text): what a header may carry.
  const text = (length: number): string => {
    let out = ''
    for (let i = 0; i < length; i++) {
      const r = next()
      out += String.fromCharCode(r < 0.9 ? 0x20 + int(95) : r < 0.95 ? 0x09 : 0x80 + int(128))
    }
    return out
  }
  return { next, int, pick, bytes, text }
}
type Random = ReturnType<typeof random>

const invalidUtf8 = [
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf0, 0x90, 0x28, 0xbc]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xc0, 0xaf]),
]

function eventJson(r: Random, n: number): Buffer {
  const base = JSON.stringify({
    id: `evt_fuzz_${n}`,
    object: 'event',
    type: r.pick(['invoice.paid', 'charge.succeeded', 'ping', '']),
    data: { object: { id: `in_${r.int(1e6)}`, note: r.text(r.int(64)) } },
  })
  if (r.next() < 0.3) {
    const at = r.int(base.length)
    return Buffer.concat([
      Buffer.from(base.slice(0, at)),
      r.pick(invalidUtf8),
      Buffer.from(base.slice(at)),
    ])
  }
  return Buffer.from(base)
}

function body(r: Random, n: number): Buffer {
  const kind = r.next()
  if (kind < 0.5) return eventJson(r, n)
  if (kind < 0.75) return r.bytes(r.int(2_048))
  if (kind < 0.9) return Buffer.from(r.text(r.int(2_048)), 'latin1')
  return Buffer.alloc(0)
}

const past = new FakeClock({ now: Date.now() - 3_600_000 })
const future = new FakeClock({ now: Date.now() + 3_600_000 })

function mangle(r: Random, value: string): string {
  const what = r.int(5)
  if (value.length === 0 || what === 0) return r.text(r.int(200))
  if (what === 1) return value.slice(0, r.int(value.length))
  if (what === 2) {
    const at = r.int(value.length)
    return value.slice(0, at) + r.text(1) + value.slice(at + 1)
  }
  if (what === 3) return `${value},${value.slice(0, r.int(value.length))}`
  return value + r.text(r.int(50))
}

type Forged = { path: string; method: string; headers: Record<string, string>; body: Buffer }

const show = (forged: Forged): string =>
  JSON.stringify({ ...forged, body: forged.body.subarray(0, 200).toString('latin1') })

/** A delivery whose signature is absent, wrong, stale, mangled, or over other bytes. */
function forge(r: Random, n: number): Forged {
  const source = r.pick([
    ...(['stripe', 'stripe', 'stripe', 'github', 'github', 'std', 'std'] as const),
    'nowhere',
  ])
  let payload = body(r, n)
  const signed = r.next() < 0.5 ? payload : body(r, n + REQUESTS)
  const attack = r.int(9)
  // Truncated: the signature is over bytes of which only a prefix is sent.
  if (attack === 7) payload = signed.subarray(0, Math.max(0, signed.length - 1 - r.int(16)))
  const clock = attack === 1 ? past : attack === 2 ? future : undefined
  // When the signature is over the very bytes sent, something else about it must be wrong: its
  // secret, or (for the schemes that sign one) its timestamp.
  const sameBytes = signed.equals(payload)
  const secretFor = (key: keyof typeof secrets) =>
    attack === 0 || (sameBytes && (clock === undefined || key === 'github'))
      ? wrongSecrets[key]
      : secrets[key]
  let headers: Record<string, string> = {}
  if (source === 'stripe' || source === 'nowhere') {
    const sig = webhookScheme('stripe').sign({
      payload: signed,
      secret: secretFor('stripe'),
      ...(clock && { clock }),
    })
    headers = sig
    if (attack === 3) headers = { 'stripe-signature': mangle(r, sig['stripe-signature'] ?? '') }
    if (attack === 4) {
      const t = r.pick(['NaN', '1e30', '-1', '0x10', '', ' ', '9'.repeat(40), '1.5'])
      headers = { 'stripe-signature': `t=${t},v1=${'0'.repeat(64)}` }
    }
    if (attack === 5) {
      headers = {
        'stripe-signature': Array.from({ length: 1 + r.int(500) }, () => `v1=${r.text(8)}`).join(
          ',',
        ),
      }
    }
  } else if (source === 'github') {
    const hmac = createHmac('sha256', secretFor('github')).update(signed).digest('hex')
    headers = {
      'x-hub-signature-256': attack === 3 ? mangle(r, `sha256=${hmac}`) : `sha256=${hmac}`,
      'x-github-event': r.pick(['ping', 'push', 'issues', '']),
      'x-github-delivery': r.text(r.int(40)),
    }
    if (attack === 4) headers['x-hub-signature-256'] = `sha1=${hmac.slice(0, 40)}`
  } else {
    const sig = webhookScheme('standard-webhooks').sign({
      payload: signed,
      secret: secretFor('std'),
      id: `msg_${n}`,
      ...(clock && { clock }),
    })
    headers = sig
    if (attack === 4) headers = { ...sig, 'webhook-id': `msg.${r.int(1e6)}` }
    if (attack === 3) {
      const name = r.pick(Object.keys(sig))
      headers = { ...sig, [name]: mangle(r, sig[name] ?? '') }
    }
    if (attack === 5) headers = { ...sig, 'webhook-signature': `v1a,${r.text(88)}` }
  }
  if (attack === 6 && r.next() < 0.5) headers = {}
  if (attack === 8 && r.next() < 0.25) {
    // Over the limit (under any signature, even one over these very bytes): 413 before verifying.
    payload = Buffer.concat([eventJson(r, n), Buffer.alloc(MAX_BODY + r.int(MAX_BODY), 0x20)])
    headers = webhookScheme('stripe').sign({ payload, secret: secrets.stripe })
  }
  for (let extra = r.int(r.next() < 0.05 ? 200 : 6); extra > 0; extra--) {
    const name = `x-${r.int(1e6).toString(36)}`
    headers[name] = r.text(r.int(r.next() < 0.01 ? 20_000 : 100))
  }
  if (r.next() < 0.5) {
    headers['content-type'] = r.pick([
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      r.text(r.int(40)),
    ])
  }
  const path =
    r.next() < 0.85
      ? `/webhooks/${source}${r.next() < 0.2 ? `?${r.text(10).replace(/[^\w=&]/g, '')}` : ''}`
      : r.pick(['/webhooks/%ZZ', `/webhooks/${encodeURIComponent(r.text(8))}`, '/'])
  const method = r.pick(['POST', 'POST', 'POST', 'PUT', 'PATCH'])
  return { path, method, headers, body: payload }
}

// Requests written byte by byte, for what a well-behaved client refuses to send.
function rawRequest(r: Random, n: number): Buffer {
  const sig = webhookScheme('stripe').sign({ payload: `other ${n}`, secret: secrets.stripe })
  const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  const start = ['POST /webhooks/stripe HTTP/1.1', 'Host: 127.0.0.1']
  const signature = `Stripe-Signature: ${sig['stripe-signature']}`
  const over = Buffer.alloc(MAX_BODY + 1 + r.int(MAX_BODY), 0x7b)
  switch (r.int(12)) {
    case 0: // a huge declared length, and more than the limit of it sent
      return Buffer.concat([
        head([
          ...start,
          signature,
          `Content-Length: ${r.pick(['1000000000000', '9007199254740991'])}`,
        ]),
        over,
      ])
    case 1: // a length that overflows
      return head([...start, `Content-Length: ${'9'.repeat(30)}`])
    case 2: // a length that is not a number
      return head([...start, `Content-Length: ${r.pick(['abc', '-1', '1e3', '0x10', ' 1 2'])}`])
    case 3: // two lengths that disagree
      return Buffer.concat([
        head([...start, 'Content-Length: 2', 'Content-Length: 3']),
        Buffer.from('{}'),
      ])
    case 4: // a length and chunked at once
      return Buffer.concat([
        head([...start, 'Content-Length: 5', 'Transfer-Encoding: chunked']),
        Buffer.from('0\r\n\r\n'),
      ])
    case 5: // a chunk size that is not hex
      return Buffer.concat([
        head([...start, 'Transfer-Encoding: chunked']),
        Buffer.from('zz\r\n{}\r\n0\r\n\r\n'),
      ])
    case 6: // a request line that is not one (not empty: empty lines before a request are allowed)
      return Buffer.from(
        `${String.fromCharCode(0x21 + r.int(94))}${r.text(r.int(64))}\r\n\r\n`,
        'latin1',
      )
    case 7: // a header line with no colon
      return head([...start, r.text(20).replace(/:/g, '')])
    case 8: // headers over the server's limit
      return head([...start, `X-Big: ${'a'.repeat(20_000 + r.int(20_000))}`])
    case 9: // a NUL or a bare CR in a header value
      return head([...start, `X-Bad: a${r.pick(['\0', '\r'])}b`])
    case 10: // chunked, well formed, signed over other bytes
      return Buffer.concat([
        head([...start, signature, 'Transfer-Encoding: chunked']),
        Buffer.from('2\r\n{}\r\n0\r\n\r\n'),
      ])
    default: // chunked and endless: more than the limit in chunks
      return Buffer.concat([
        head([...start, signature, 'Transfer-Encoding: chunked']),
        ...Array.from({ length: 1 + Math.ceil(over.length / 4096) }, () =>
          Buffer.concat([Buffer.from('1000\r\n'), Buffer.alloc(4096, 0x20), Buffer.from('\r\n')]),
        ),
      ])
  }
}

/** Sends raw bytes on a connection of its own; the status of the answer, or 0 for none. */
function sendRaw(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let settled = false
    const settle = (status: number) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(status)
    }
    socket.on('error', () => settle(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)))
    socket.on('close', () => settle(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)))
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]
      if (status !== undefined) settle(Number(status))
    })
    socket.write(bytes, () => undefined)
  })
}

function forcedGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

async function runConcurrently(
  total: number,
  concurrency: number,
  task: (n: number) => Promise<void>,
) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++)
    }),
  )
}

describe('webhook inbox fuzz over node:http', () => {
  const path = useTempSqliteFile()
  let store: Store
  let jobs: Jobs
  let server: Server
  let port: number
  const stored: string[] = []
  const rejected = new Map<string, number>()
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => void unhandled.push(reason)

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    store = sqliteStore({ path })
    // Whatever reaches the store was accepted: count it.
    const watched: Store = {
      ...store,
      inbox: {
        ...store.inbox,
        receive: (events) => {
          stored.push(...events.map((e) => `${e.source}/${e.eventId}`))
          return store.inbox.receive(events)
        },
      },
    }
    jobs = createJobs({ store })
    const inbox = createWebhookInbox({
      store: watched,
      jobs,
      maxBodyBytes: MAX_BODY,
      sources: {
        stripe: { scheme: 'stripe', secrets: [secrets.stripe] },
        github: { scheme: 'github', secrets: [secrets.github] },
        std: { scheme: 'standard-webhooks', secrets: [secrets.std] },
      },
    })
    inbox.events.on('webhook:rejected', ({ reason }) =>
      rejected.set(reason, (rejected.get(reason) ?? 0) + 1),
    )
    const handlers = new Map(
      ['stripe', 'github', 'std', 'nowhere'].map((name) => [name, nodeHandler(inbox, name)]),
    )
    server = createServer((request, response) => {
      const name = /^\/webhooks\/([^/?]*)/.exec(request.url ?? '')?.[1]
      const handler = name === undefined ? undefined : handlers.get(name)
      if (handler) handler(request, response)
      else response.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await jobs?.stop({ timeoutMs: 0 })
    await store?.close()
  })

  it(`accepts none of ${REQUESTS + RAW_REQUESTS} forged or malformed requests, and answers each with a 4xx`, async () => {
    const gc = forcedGc()
    const r = random(SEED)
    const statuses = new Map<number, number>()
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)
    const failures: string[] = []
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 })
    let clientRefused = 0
    let peakHeap = 0

    const send = async (n: number) => {
      const forged = forge(r, n)
      try {
        const response = await pool.request({
          path: forged.path,
          method: forged.method,
          headers: forged.headers,
          body: forged.body,
        })
        await response.body.dump()
        count(response.statusCode)
        if (response.statusCode < 400 || response.statusCode >= 500) {
          if (failures.length < 5) failures.push(`#${n} ${response.statusCode}: ${show(forged)}`)
        }
      } catch (error) {
        const code = (error as { code?: string }).code
        // A header undici itself will not send never reached the server.
        if (code === 'UND_ERR_INVALID_ARG') clientRefused++
        else if (failures.length < 20) failures.push(`#${n}: ${String(error)}`)
        if (code !== 'UND_ERR_INVALID_ARG') count(0)
      }
      if (n % 5_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
    }

    try {
      // Warm up before the baseline, so what the first requests load is not counted as growth.
      await runConcurrently(2_000, CONCURRENCY, send)
      gc()
      const before = process.memoryUsage().heapUsed
      await runConcurrently(REQUESTS - 2_000, CONCURRENCY, (n) => send(n + 2_000))
      await runConcurrently(RAW_REQUESTS, 20, async (n) => {
        count(await sendRaw(port, rawRequest(r, n)))
      })
      await pool.close()
      gc()
      const after = process.memoryUsage().heapUsed
      const growthMb = (after - before) / 2 ** 20

      const sorted = [...statuses].sort(([a], [b]) => a - b)
      const total = sorted.reduce((sum, [, n]) => sum + n, 0)
      console.log(
        `webhook fuzz (seed ${SEED}): ${total} requests answered or failed, ${clientRefused} refused by the client; ` +
          `statuses ${sorted.map(([s, n]) => `${s}×${n}`).join(' ')}; ` +
          `refused by the inbox: ${[...rejected].map(([reason, n]) => `${reason.replace('SEAM_ERR_WEBHOOK_', '')}×${n}`).join(' ')}; ` +
          `stored ${stored.length}; unhandled rejections ${unhandled.length}; ` +
          `heap ${(before / 2 ** 20).toFixed(1)} MB → ${(after / 2 ** 20).toFixed(1)} MB after GC ` +
          `(${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB, peak ${(peakHeap / 2 ** 20).toFixed(1)} MB)`,
      )

      expect(failures).toEqual([])
      expect(sorted.filter(([status]) => status < 400 || status >= 500)).toEqual([])
      expect(total + clientRefused).toBe(REQUESTS + RAW_REQUESTS)
      expect(stored).toEqual([])
      expect(unhandled).toEqual([])
      expect(growthMb).toBeLessThan(64)
    } finally {
      await pool.destroy()
    }

    // Still up, and still accepting what is genuine.
    const genuine = JSON.stringify({ id: 'evt_genuine', object: 'event', type: 'x' })
    const check = new Pool(`http://127.0.0.1:${port}`, { connections: 1 })
    try {
      const response = await check.request({
        path: '/webhooks/stripe',
        method: 'POST',
        headers: webhookScheme('stripe').sign({ payload: genuine, secret: secrets.stripe }),
        body: genuine,
      })
      await response.body.dump()
      expect(response.statusCode).toBe(200)
      expect(stored).toEqual(['stripe/evt_genuine'])
    } finally {
      await check.destroy()
    }
  }, 300_000)
})
