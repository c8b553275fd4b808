import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Clock } from '../time/index.js'
import type { Fault, FaultPlan } from './faults.js'
import { isMutation, type Profile, type SimRequest, type SimResponse } from './http.js'
import type { Random } from './random.js'
import type { StatsRecorder } from './stats.js'

export interface ServerParts {
  profile: Profile
  faults: FaultPlan
  stats: StatsRecorder
  clock: Clock
  random: Random
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number
}

const preExecution = new Set<Fault['kind']>(['status', 'rate-limit', 'hang', 'reset-before'])

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners('data')
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function toRequest(req: IncomingMessage, body: Buffer, params: Record<string, string>): SimRequest {
  const url = new URL(req.url ?? '/', 'http://simulator')
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    params,
    header: (name) => {
      const value = req.headers[name.toLowerCase()]
      return Array.isArray(value) ? value[0] : value
    },
  }
}

function faultResponse(fault: Fault): SimResponse | undefined {
  if (fault.kind === 'status') {
    return { status: fault.status, body: { error: { message: `Simulated ${fault.status}` } } }
  }
  if (fault.kind === 'rate-limit') {
    return {
      status: 429,
      headers: { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
      body: { error: { message: 'Simulated rate limit' } },
    }
  }
  return undefined
}

function latencyOf(fault: Fault | undefined, random: Random): number {
  if (fault?.kind !== 'latency') return 0
  return typeof fault.ms === 'number' ? fault.ms : random.int(fault.ms.min, fault.ms.max)
}

/** Serves one profile over HTTP, injecting the planned faults and counting what happens. */
export function startServer(
  parts: ServerParts,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  // Read through `parts` on every request: reset() swaps the profile, faults and stats.
  const { clock } = parts
  // Ends pending waits (latency, trickle) when the simulator closes.
  const lifetime = new AbortController()

  async function send(res: ServerResponse, response: SimResponse, fault: Fault | undefined) {
    let body =
      typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {})
    const headers: Record<string, string> = { ...response.headers }
    if (typeof response.body !== 'string') headers['content-type'] ??= 'application/json'
    if (fault?.kind === 'malformed-json')
      body = `${body.slice(0, Math.ceil(body.length / 2))}\u0000`
    if (fault?.kind !== 'trickle') {
      res.writeHead(response.status, headers).end(body)
      return
    }
    const bytes = Buffer.from(body)
    res.writeHead(response.status, { ...headers, 'content-length': String(bytes.length) })
    const step = Math.max(1, fault.chunkBytes ?? 8)
    for (let at = 0; at < bytes.length && !res.destroyed; at += step) {
      res.write(bytes.subarray(at, at + step))
      await clock.sleep(fault.intervalMs ?? 100, lifetime.signal)
    }
    res.end()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const { pathname: path } = new URL(req.url ?? '/', 'http://simulator')
    const matched = parts.profile.match(method, path)
    const route = matched?.route ?? `${method} (unmatched)`
    const end = parts.stats.begin(route)
    res.on('close', end)

    const body = await readBody(req, parts.maxBodyBytes)
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' })
      res.end(JSON.stringify({ error: { message: 'Request body too large' } }))
      return
    }
    if (!matched) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ error: { message: `Unrecognized request URL (${method}: ${path})` } }),
      )
      return
    }

    const request = toRequest(req, body, matched.params)
    const admission = parts.profile.admit(request, route)
    if (admission.refused) {
      if (admission.refused.status === 429) parts.stats.rateLimited(route)
      await send(res, admission.refused, undefined)
      return
    }
    res.on('close', admission.release)

    const fault = parts.faults.decide(route)
    if (fault) parts.stats.fault(route, fault.kind)
    if (fault && preExecution.has(fault.kind)) {
      if (fault.kind === 'hang') return // answered by nobody; 'close' ends it when the client leaves
      if (fault.kind === 'reset-before') {
        req.socket.resetAndDestroy()
        return
      }
      const response = faultResponse(fault) as SimResponse
      if (response.status === 429) parts.stats.rateLimited(route)
      await send(res, response, undefined)
      return
    }

    const latency = latencyOf(fault, parts.random)
    const processing = (): Promise<void> =>
      latency > 0 ? clock.sleep(latency, lifetime.signal) : Promise.resolve()
    const response = await parts.profile.handle(request, route, processing)
    if (response.effect && isMutation(method)) parts.stats.executed(route, response.effect)
    if (response.status === 429) parts.stats.rateLimited(route)
    if (fault?.kind === 'reset-after') {
      req.socket.resetAndDestroy()
      return
    }
    if (admission.headers) response.headers = { ...admission.headers, ...response.headers }
    await send(res, response, fault)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (lifetime.signal.aborted) return
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: `Simulator error: ${String(error)}` } }))
      } else res.destroy()
    })
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            lifetime.abort()
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
