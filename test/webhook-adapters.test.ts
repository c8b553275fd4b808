import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createJobs, type Jobs } from '../src/jobs/index.js'
import { sqliteStore, type Store } from '../src/stores/index.js'
import {
  createWebhookInbox,
  expressHandler,
  fastifyWebhooks,
  fetchHandler,
  honoHandler,
  nextRouteHandler,
  nodeHandler,
  type WebhookInbox,
} from '../src/webhooks/inbox/index.js'
import {
  conformanceSecret,
  describeWebhookAdapterConformance,
  signedStripe,
  type ServedInbox,
} from './conformance/webhook-adapters.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

async function listen(server: Server): Promise<ServedInbox> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** `/webhooks/stripe` → `stripe`; `/fixed` → the fixed source. */
function route(url: string | undefined, fixed: string): string | undefined {
  const { pathname } = new URL(url ?? '/', 'http://127.0.0.1')
  if (pathname === '/fixed') return fixed
  const match = /^\/webhooks\/([^/]+)$/.exec(pathname)
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1])
}

describeWebhookAdapterConformance('node:http', {
  serve: (inbox, fixed) =>
    listen(
      createServer((request, response) => {
        const source = route(request.url, fixed)
        if (source === undefined) response.writeHead(404).end()
        else nodeHandler(inbox, source)(request, response)
      }),
    ),
})

describeWebhookAdapterConformance('express', {
  serve: (inbox, fixed) => {
    const app = express()
    app.post('/webhooks/:source', expressHandler(inbox))
    app.post('/fixed', expressHandler(inbox, fixed))
    return listen(createServer(app))
  },
})

describeWebhookAdapterConformance('fastify', {
  serve: async (inbox, fixed) => {
    const app = Fastify()
    await app.register(fastifyWebhooks(inbox))
    await app.register(fastifyWebhooks(inbox, { path: '/fixed', source: fixed }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    return { origin: `http://127.0.0.1:${port}`, close: () => app.close() }
  },
})

describeWebhookAdapterConformance('hono', {
  serve: (inbox, fixed) => {
    const app = new Hono()
    app.post('/webhooks/:source', honoHandler(inbox))
    app.post('/fixed', honoHandler(inbox, fixed))
    return listen(createAdaptorServer({ fetch: app.fetch }) as Server)
  },
})

describeWebhookAdapterConformance('fetch', {
  serve: (inbox, fixed) => {
    const fromPath = fetchHandler(inbox)
    const fixedSource = fetchHandler(inbox, fixed)
    const fetch = (request: Request) =>
      new URL(request.url).pathname === '/fixed' ? fixedSource(request) : fromPath(request)
    return listen(createAdaptorServer({ fetch }) as Server)
  },
})

// A route handler is a `Request → Response` function; the bridge passes the `[source]` segment
// as Next.js does, in a promise.
describeWebhookAdapterConformance('next route handler', {
  serve: (inbox, fixed) => {
    const POST = nextRouteHandler(inbox)
    const FIXED = nextRouteHandler(inbox, fixed)
    const fetch = (request: Request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/fixed') return FIXED(request)
      const source = route(request.url, fixed)
      if (source === undefined) return new Response(null, { status: 404 })
      return POST(request, { params: Promise.resolve({ source }) })
    }
    return listen(createAdaptorServer({ fetch }) as Server)
  },
})

describe('webhook adapters, around body parsers', () => {
  const path = useTempSqliteFile()
  let store: Store
  let jobs: Jobs
  let inbox: WebhookInbox
  let servers: ServedInbox[] = []
  beforeAll(() => {
    store = sqliteStore({ path })
    jobs = createJobs({ store })
    inbox = createWebhookInbox({
      store,
      jobs,
      sources: { stripe: { scheme: 'stripe', secrets: [conformanceSecret] } },
    })
  })
  afterEach(async () => {
    for (const served of servers) await served.close()
    servers = []
  })
  afterAll(async () => {
    await jobs?.stop({ timeoutMs: 0 })
    await store?.close()
  })

  let ids = 0
  /** Posts a signed Stripe event; answers its status, its body, and the bytes stored for it. */
  async function deliver(served: ServedInbox, to = '/webhooks/stripe', contentType?: string) {
    const id = `evt_parsers_${++ids}`
    const body = `{"id": "${id}", "object": "event", "type": "x", "amount": 1.50}\n`
    const headers = { ...signedStripe(body), ...(contentType && { 'content-type': contentType }) }
    const response = await request(`${served.origin}${to}`, { method: 'POST', headers, body })
    const text = await response.body.text()
    const stored = (await store.inbox.get('stripe', id))?.body
    return { status: response.statusCode, text, stored: stored && Buffer.from(stored), body }
  }

  async function serveExpress(setup: (app: express.Express) => void) {
    const app = express()
    setup(app)
    const served = await listen(createServer(app))
    servers.push(served)
    return served
  }

  describe('express', () => {
    it('answers 500, saying how to mount it, when express.json() parsed the body first', async () => {
      const served = await serveExpress((app) => {
        app.use(express.json())
        app.post('/webhooks/:source', expressHandler(inbox))
      })
      const { status, text, stored } = await deliver(served)
      expect(status).toBe(500)
      expect(text).toContain('before express.json()')
      expect(text).toContain("express.raw({ type: '*/*' })")
      expect(stored).toBeUndefined()
    })

    it('verifies the Buffer express.raw() leaves', async () => {
      const served = await serveExpress((app) => {
        app.post('/webhooks/:source', express.raw({ type: '*/*' }), expressHandler(inbox))
      })
      const { status, stored, body } = await deliver(served)
      expect(status).toBe(200)
      expect(stored).toEqual(Buffer.from(body))
    })

    it('verifies req.rawBody kept by a parser’s verify hook', async () => {
      const served = await serveExpress((app) => {
        app.use(
          express.json({
            verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf),
          }),
        )
        app.post('/webhooks/:source', expressHandler(inbox))
      })
      const { status, stored, body } = await deliver(served)
      expect(status).toBe(200)
      expect(stored).toEqual(Buffer.from(body))
    })

    it('reads the stream when a parser before it skipped the content type', async () => {
      const served = await serveExpress((app) => {
        app.use(express.json())
        app.post('/webhooks/:source', expressHandler(inbox))
      })
      const { status, stored, body } = await deliver(served, undefined, 'text/plain')
      expect(status).toBe(200)
      expect(stored).toEqual(Buffer.from(body))
    })

    it('answers 500 when express.text() decoded the body first', async () => {
      const served = await serveExpress((app) => {
        app.use(express.text({ type: '*/*' }))
        app.post('/webhooks/:source', expressHandler(inbox))
      })
      expect((await deliver(served)).status).toBe(500)
    })
  })

  describe('fastify', () => {
    it('leaves the parsers of the rest of the app alone', async () => {
      const app = Fastify()
      await app.register(fastifyWebhooks(inbox))
      app.post('/echo', async (request) => ({ parsed: request.body }))
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as AddressInfo
      const served = { origin: `http://127.0.0.1:${port}`, close: () => app.close() }
      servers.push(served)
      const { status, stored, body } = await deliver(served)
      expect(status).toBe(200)
      expect(stored).toEqual(Buffer.from(body))
      const echo = await request(`${served.origin}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      })
      expect(await echo.body.json()).toEqual({ parsed: { a: 1 } })
    })
  })

  describe('hono', () => {
    async function serveHono(setup: (app: Hono) => void) {
      const app = new Hono()
      setup(app)
      const served = await listen(createAdaptorServer({ fetch: app.fetch }) as Server)
      servers.push(served)
      return served
    }

    it('verifies the bytes Hono kept when middleware read the body with c.req.json()', async () => {
      const served = await serveHono((app) => {
        app.use(async (c, next) => {
          await c.req.json()
          await next()
        })
        app.post('/webhooks/:source', honoHandler(inbox))
      })
      const { status, stored, body } = await deliver(served)
      expect(status).toBe(200)
      expect(stored).toEqual(Buffer.from(body))
    })

    it('answers 500 when the raw request was read around Hono', async () => {
      const served = await serveHono((app) => {
        app.use(async (c, next) => {
          await c.req.raw.text()
          await next()
        })
        app.post('/webhooks/:source', honoHandler(inbox))
      })
      const { status, text } = await deliver(served)
      expect(status).toBe(500)
      expect(text).toContain('raw bytes are gone')
    })
  })

  describe('next route handler', () => {
    it('takes params as an object too (Next.js 14), and answers 500 to a read body', async () => {
      const POST = nextRouteHandler(inbox)
      const body = '{"id": "evt_next_plain", "object": "event", "type": "x"}'
      const make = () =>
        new Request('http://127.0.0.1/webhooks/stripe', {
          method: 'POST',
          headers: signedStripe(body),
          body,
        })
      const ok = await POST(make(), { params: { source: 'stripe' } })
      expect(ok.status).toBe(200)
      const read = make()
      await read.text()
      expect((await POST(read, { params: { source: 'stripe' } })).status).toBe(500)
      expect((await POST(make())).status).toBe(404)
    })
  })
})

describe('webhook adapters', () => {
  it('import no framework at run time, only types', () => {
    const dir = fileURLToPath(new URL('../src/webhooks/inbox/adapters/', import.meta.url))
    const runtime: string[] = []
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8')
      for (const [, specifier] of text.matchAll(/^import (?!type )[^']*'([^']+)'/gm)) {
        if (!specifier?.startsWith('.')) runtime.push(`${file}: ${specifier}`)
      }
    }
    expect(runtime).toEqual([])
  })
})
