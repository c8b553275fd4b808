import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { relayTo } from './helpers/relay.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const sqlitePath = useTempSqliteFile()

async function ready(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/readyz`)
  return { status: response.status, body: await response.json() }
}

async function quietGateway(store: string): Promise<{ gateway: Gateway; url: string }> {
  const gateway = await createGateway(parseConfig({ store }), {
    log: { enabled: false },
    worker: { pollMs: 50 },
  })
  return { gateway, url: await gateway.start(0, '127.0.0.1') }
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('/readyz over a real socket', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
  })

  it('SQLite: 503 naming the cause once the store cannot be read', async () => {
    const started = await quietGateway(sqlitePath)
    gateway = started.gateway
    expect(await ready(started.url)).toEqual({ status: 200, body: { status: 'ready' } })
    const db = new Database(sqlitePath)
    db.exec('DROP TABLE seamline_jobs')
    db.close()
    expect(await ready(started.url)).toEqual({
      status: 503,
      body: { status: 'unavailable', reason: 'the store does not answer (SQLITE_ERROR)' },
    })
  })

  describe.skipIf(!pgUrl)('PostgreSQL', () => {
    const schema = usePostgresSchema()

    it('503 while the database refuses connections, ready again once it is back', async () => {
      const relay = await relayTo(new URL(schema.url))
      const url = new URL(schema.url)
      url.hostname = '127.0.0.1'
      url.port = String(relay.port)
      const started = await quietGateway(url.toString())
      gateway = started.gateway
      expect(await ready(started.url)).toEqual({ status: 200, body: { status: 'ready' } })

      await relay.cut()
      const down = await until(
        () => ready(started.url),
        (answer) => answer.status === 503,
      )
      expect(down.status).toBe(503)
      expect(down.body).toMatchObject({ status: 'unavailable' })
      // Once no pooled connection is left, the reason is the refusal itself.
      expect(
        await until(
          () => ready(started.url),
          (answer) => JSON.stringify(answer.body).includes('ECONNREFUSED'),
        ),
      ).toEqual({
        status: 503,
        body: { status: 'unavailable', reason: 'the store does not answer (ECONNREFUSED)' },
      })

      await relay.restore()
      expect(
        await until(
          () => ready(started.url),
          (answer) => answer.status === 200,
        ),
      ).toEqual({ status: 200, body: { status: 'ready' } })
    }, 60_000)
  })
})
