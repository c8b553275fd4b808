import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../src/gateway/index.js'
import { proxyGateway, proxyToken } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const store = useTempSqliteFile('proxy-socket.sqlite')
const token = 'echo_provider_token_0123456789'

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  contentType: string | undefined
  sha256: string
  length: number
}

/** A provider that answers each request with what it received: method, path, body digest. */
async function echoProvider() {
  const seen: Seen[] = []
  const closed: string[] = []
  const server: Server = createServer((incoming: IncomingMessage, response) => {
    if (incoming.url?.startsWith('/v1/hang')) {
      // Never answers: the test's client goes away, and the gateway must let go of this call.
      response.on('close', () => closed.push(incoming.url!))
      return
    }
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      const entry: Seen = {
        method: incoming.method!,
        url: incoming.url!,
        authorization: incoming.headers.authorization,
        contentType: incoming.headers['content-type'],
        sha256: createHash('sha256').update(body).digest('hex'),
        length: body.length,
      }
      seen.push(entry)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entry))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const digest = (body: Buffer | string) => createHash('sha256').update(body).digest('hex')

describe('egress proxy over a real socket', () => {
  let provider: Awaited<ReturnType<typeof echoProvider>>
  let gateway: Gateway
  let url: string

  beforeAll(async () => {
    provider = await echoProvider()
    gateway = await proxyGateway(
      store,
      { echo: { baseUrl: `${provider.url}/v1`, credentials: { token: 'ECHO_TOKEN' } } },
      { ECHO_TOKEN: token },
    )
    url = await gateway.start(0, '127.0.0.1')
  })
  afterAll(async () => {
    await gateway?.stop()
    await provider?.close()
  })

  const bodies = {
    form: {
      type: 'application/x-www-form-urlencoded',
      body: 'amount=1000&currency=eur&note=%C3%A9t%C3%A9',
    },
    json: {
      type: 'application/json',
      body: JSON.stringify({ name: 'Ada', tags: ['a', 'b'], n: 1 }),
    },
    binary: { type: 'application/octet-stream', body: randomBytes(256 * 1024) },
  }

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    for (const [kind, { type, body }] of Object.entries(bodies)) {
      it(`passes a ${kind} body of ${method} to the provider byte for byte, with the credential`, async () => {
        const answer = await request(`${url}/proxy/echo/charges?expand=1`, {
          method,
          headers: { 'content-type': type, authorization: `Bearer ${proxyToken}` },
          body,
        })
        const echoed = (await answer.body.json()) as Seen
        expect(answer.statusCode).toBe(200)
        expect(echoed).toMatchObject({
          method,
          url: '/v1/charges?expand=1',
          authorization: `Bearer ${token}`,
          contentType: type,
          sha256: digest(body),
          length: Buffer.byteLength(body),
        })
      })
    }
  }

  it('refuses, before reading the body, a call without the token, from a page, for another host, or by TRACE', async () => {
    const before = provider.seen.length
    const call = (method: 'GET' | 'POST' | 'TRACE', headers: Record<string, string>) =>
      request(`${url}/proxy/echo/charges`, {
        method,
        headers,
        ...(method === 'POST' && { body: 'amount=1' }),
      }).then(async (answer) => ({ status: answer.statusCode, body: await answer.body.json() }))
    const token = { authorization: `Bearer ${proxyToken}` }
    expect(await call('POST', {})).toMatchObject({
      status: 401,
      body: { error: 'proxy_token_required' },
    })
    expect(await call('POST', { authorization: 'Bearer sl_proxy_guessed' })).toMatchObject({
      status: 401,
    })
    expect(await call('POST', { ...token, origin: 'https://evil.example' })).toMatchObject({
      status: 403,
      body: { error: 'origin_not_allowed' },
    })
    // DNS rebinding: a page's own name pointed at this address.
    expect(
      await call('GET', { ...token, host: `attacker.example:${new URL(url).port}` }),
    ).toMatchObject({
      status: 403,
      body: { error: 'host_not_allowed' },
    })
    expect(await call('TRACE', token)).toMatchObject({ status: 405 })
    expect(provider.seen.length).toBe(before)
  })

  it('times each call by provider and status, and names no provider it does not proxy', async () => {
    const unknown = await request(`${url}/proxy/nowhere/v1/x`, {
      headers: { authorization: `Bearer ${proxyToken}` },
    })
    await unknown.body.dump()
    expect(unknown.statusCode).toBe(404)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    // The body cases above: 4 methods × 3 bodies, each answered 200 by the echo provider.
    expect(metrics).toMatch(
      /^seamline_proxy_call_seconds_count\{provider="echo",status="200"\} (\d+)$/m,
    )
    expect(metrics).not.toContain('provider="nowhere"')
  })

  it('lets go of the upstream call when the app goes away before the answer', async () => {
    const abort = new AbortController()
    const call = request(`${url}/proxy/echo/hang`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${proxyToken}` },
      body: '{"slow":true}',
      signal: abort.signal,
    })
    // Long enough for the call to reach the provider, which holds it.
    setTimeout(() => abort.abort(), 300)
    await expect(call).rejects.toThrow()
    await expect.poll(() => provider.closed, { timeout: 5_000 }).toEqual(['/v1/hang'])
  })
})
