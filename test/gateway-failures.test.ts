import { PassThrough } from 'node:stream'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import {
  proxyToken,
  proxyTokenEnv,
  proxyTokens,
  stripeDelivery,
  stripeSecret,
  stripeSource,
} from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const paths = [1, 2, 3].map((n) => useTempSqliteFile(`failures-${n}.sqlite`))
const adminToken = 'sl_admin_failures-0123456789abcdefghijkl'

interface LogLine {
  level: number
  msg: string
  err?: { type: string; message: string; code?: unknown; cause?: LogLine['err'] }
}

/** The gateway over a real socket, its log lines kept, on a store that is then broken under it. */
async function brokenGateway(table: string, path: string) {
  const stream = new PassThrough()
  const lines: LogLine[] = []
  let rest = ''
  stream.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString('utf8')
    const parts = text.split('\n')
    rest = parts.pop() ?? ''
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as LogLine)
  })
  const gateway = await createGateway(
    parseConfig({
      store: path,
      proxy: proxyTokens,
      providers: {
        stripe: { baseUrl: 'http://127.0.0.1:9', credentials: { apiKey: 'STRIPE_KEY' } },
      },
      webhooks: {
        sources: {
          stripe: stripeSource('http://127.0.0.1:9/hooks'),
        },
      },
    }),
    {
      env: {
        ...proxyTokenEnv,
        STRIPE_KEY: 'sk_test_failures',
        STRIPE_WHSEC: stripeSecret,
        DEST_WHSEC: `whsec_${Buffer.from('failures-destination-key-000').toString('base64')}`,
      },
      adminToken,
      log: { stream, level: 'error' },
      worker: { pollMs: 60_000 },
    },
  )
  const url = await gateway.start(0, '127.0.0.1')
  const db = new Database(path)
  db.exec(`DROP TABLE ${table}`)
  db.close()
  return { gateway, url, lines }
}

// Every message along an error's chain of causes, as the log line carries it.
const chain = (err: LogLine['err']): string =>
  err ? `${err.type}: ${err.message} [${String(err.code)}] ${chain(err.cause)}` : ''

describe('a failure of the gateway itself, over a real socket', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
  })

  it('is logged at error level with its code and cause, and answered 500 without them', async () => {
    const broken = await brokenGateway('seamline_inbox', paths[0]!)
    gateway = broken.gateway
    const response = await fetch(`${broken.url}/api/events`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ error: 'internal_error' })
    expect(text).not.toMatch(/seamline_inbox|sqlite/i)

    const logged = broken.lines.filter((line) => line.level === 50 && line.err)
    expect(logged).toHaveLength(1)
    expect(logged[0]!.msg).toBe('request failed')
    expect(chain(logged[0]!.err)).toMatch(/no such table: seamline_inbox/)
    expect(chain(logged[0]!.err)).toMatch(/\[SQLITE_ERROR\]/)
  })

  it('leaves a webhook unacknowledged (503, to come again), logged with its cause', async () => {
    const broken = await brokenGateway('seamline_inbox', paths[1]!)
    gateway = broken.gateway
    const delivery = stripeDelivery('evt_failure_1')
    const response = await fetch(`${broken.url}/webhooks/stripe`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    })
    expect(response.status).toBe(503)
    const logged = broken.lines.filter((line) => line.level === 50 && line.err)
    expect(logged.map((line) => line.msg)).toEqual(['webhook could not be stored'])
    expect(chain(logged[0]!.err)).toMatch(/no such table: seamline_inbox/)
  })

  it("is answered in the provider's words on the proxy", async () => {
    const broken = await brokenGateway('seamline_jobs', paths[2]!)
    gateway = broken.gateway
    const response = await fetch(`${broken.url}/proxy/stripe/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${proxyToken}`,
        prefer: 'respond-async',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'email=ada%40example.com',
    })
    expect(response.status).toBe(500)
    const body = (await response.json()) as { error: { message: string; type: string } }
    expect(body.error.message).toMatch(/log holds the cause/)
    const logged = broken.lines.filter((line) => line.level === 50 && line.msg === 'request failed')
    expect(logged).toHaveLength(1)
    expect(chain(logged[0]!.err)).toMatch(/no such table: seamline_jobs/)
  })
})
