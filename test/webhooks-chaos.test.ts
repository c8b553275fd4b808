import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createWebhookSender } from '../src/simulator/index.js'
import { sqliteStore } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const receiver = fileURLToPath(new URL('./fixtures/webhook-receiver.mjs', import.meta.url))
const secret = 'whsec_chaos'
const path = useTempSqliteFile()

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

async function startReceiver(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [receiver, path, String(port), secret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    output += chunk.toString()
    if (output.includes('ready')) break
  }
  return child
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const event = (n: number) => ({
  id: `evt_k${n}`,
  type: 'charge.succeeded',
  payload: { id: `evt_k${n}`, object: 'event', type: 'charge.succeeded', data: {} },
})

describe('kill -9 of the receiving process while a provider delivers', () => {
  it('stores and processes every event it acknowledged, each once', async () => {
    await sqliteStore({ path }).close()
    const app = new Database(path)
    app.exec('CREATE TABLE webhook_effects (event_id TEXT NOT NULL)')
    const port = await freePort()
    let current = await startReceiver(port)
    const sender = createWebhookSender({
      target: `http://127.0.0.1:${port}/webhooks/stripe`,
      scheme: 'stripe',
      secret,
      seed: 5,
      duplicates: 1,
      // Stripe's hour-long schedule, replayed in well under a second per retry.
      timeScale: 600,
      ackTimeoutMs: 3_000,
    })
    // Batches of events go out until the receiver has been killed often enough.
    const minimumKills = 12
    let kills = 0
    let sent = 0
    const acknowledged: string[] = []
    const sending = (async () => {
      while (kills < minimumKills) {
        const batch = Array.from({ length: 200 }, (_, i) => event(sent + i))
        sent += batch.length
        acknowledged.push(...(await sender.send(batch)).acknowledged)
      }
    })()
    let done = false
    void sending.finally(() => (done = true))
    const stored = app.prepare("SELECT count(*) AS n FROM seamline_inbox WHERE source = 'stripe'")
    const storedNow = () => (stored.get() as { n: number }).n
    while (!done) {
      // Each receiver lives until it has stored a few more events, then a little longer: kills
      // land while deliveries are in flight, however slow the machine is to start a receiver.
      const before = storedNow()
      while (!done && storedNow() < before + 10) await sleep(20)
      await sleep(Math.random() * 300)
      if (done) break
      current.kill('SIGKILL')
      kills++
      current = await startReceiver(port)
    }
    await sending
    try {
      const processed = app.prepare('SELECT count(DISTINCT event_id) AS n FROM webhook_effects')
      const deadline = Date.now() + 60_000
      while ((processed.get() as { n: number }).n < acknowledged.length) {
        if (Date.now() > deadline) throw new Error('acknowledged events were not all processed')
        await sleep(100)
      }
      const effects = app.prepare(
        'SELECT count(*) AS n, count(DISTINCT event_id) AS distinctIds FROM webhook_effects',
      )
      const result = {
        kills,
        sent,
        acknowledged: acknowledged.length,
        stored: stored.get(),
        effects: effects.get(),
      }
      console.log(`webhook kill -9: ${JSON.stringify(result)}`)
      expect(kills).toBeGreaterThanOrEqual(minimumKills)
      expect(acknowledged.length).toBe(sent)
      expect(result.stored).toEqual({ n: sent })
      expect(result.effects).toEqual({ n: sent, distinctIds: sent })
    } finally {
      current.kill('SIGKILL')
      app.close()
    }
  }, 180_000)
})
