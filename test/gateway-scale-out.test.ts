import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgUrl, usePostgresSchema } from './helpers/postgres.js'
import { redisUrl } from './helpers/redis.js'
import {
  destinationSecret,
  startReceiver,
  stripeDelivery,
  stripeSecret,
  until,
} from './helpers/gateway.js'

const cli = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const events = 20
const perSecond = 2

/** Starts `seamline start` and resolves with the URL it prints once it listens. */
function startGateway(config: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'start', '--config', config, '--port', '0'], {
    env: {
      ...process.env,
      STRIPE_WHSEC: stripeSecret,
      DEST_WHSEC: destinationSecret,
      SEAMLINE_ADMIN_TOKEN: 'scale-out-admin-token-0123456789',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const url = /Seamline gateway on (http:\/\/\S+)/.exec(out)?.[1]
      if (url) resolve({ url, child })
    })
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${err}`)))
  })
}

describe.skipIf(!pgUrl || !redisUrl)('three gateway processes on one PostgreSQL and Redis', () => {
  const schema = usePostgresSchema()
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  const gateways: { url: string; child: ChildProcess }[] = []
  const dir = mkdtempSync(join(tmpdir(), 'seamline-scale-out-'))
  // A source name of its own: the shared limit's Redis keys are this run's alone.
  const source = `stripe_${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    receiver = await startReceiver()
    const config = join(dir, 'seamline.config.json')
    writeFileSync(
      config,
      JSON.stringify({
        store: schema.url,
        redis: redisUrl,
        webhooks: {
          sources: {
            [source]: {
              provider: 'stripe',
              secrets: ['STRIPE_WHSEC'],
              destination: {
                url: receiver.url,
                secret: 'DEST_WHSEC',
                rateLimit: { perSecond },
                retry: { maxAttempts: 10, baseMs: 100, capMs: 1_000 },
              },
            },
          },
        },
      }),
    )
    // One after another: the first applies the migrations.
    for (let i = 0; i < 3; i++) gateways.push(await startGateway(config))
  }, 60_000)

  afterAll(async () => {
    for (const { child } of gateways) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
    }
    await receiver?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('processes each event once whichever process received it, under one shared rate limit', async () => {
    const post = (gateway: number, id: string) => {
      const delivery = stripeDelivery(id)
      return fetch(`${gateways[gateway]?.url}/webhooks/${source}`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      })
    }
    // Every event reaches two different processes at once, as a provider's retry might.
    const answers = await Promise.all(
      Array.from({ length: events }, (_, n) => [
        post(n % 3, `evt_${n}`),
        post((n + 1) % 3, `evt_${n}`),
      ]).flat(),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    await until(() => receiver.deliveries.length >= events, 'every event delivered', 60_000)
    // Let any duplicate delivery surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const delivered = receiver.deliveries.map((d) => d.eventId).sort()
    expect(delivered).toEqual(Array.from({ length: events }, (_, n) => `evt_${n}`).sort())
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true)
    // One limit across the three processes: no two seconds hold more than twice `perSecond`
    // deliveries (with two more for a busy machine's delay between admission and arrival).
    // Three limits of their own would let three times as many through.
    const times = receiver.deliveries.map((d) => d.at)
    const inTwoSeconds = times.map((t) => times.filter((u) => u >= t && u < t + 2_000).length)
    expect(Math.max(...inTwoSeconds)).toBeLessThanOrEqual(2 * perSecond + 2)
  }, 120_000)
})
