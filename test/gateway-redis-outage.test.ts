import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { proxyToken, proxyTokenEnv, proxyTokens, until } from './helpers/gateway.js'
import { redisUrl, useRedisNamespace } from './helpers/redis.js'
import { relayTo } from './helpers/relay.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()

describe.skipIf(!redisUrl)('Redis going away under a running gateway', () => {
  const redis = useRedisNamespace()
  // A provider name of this file's own: the limiter's keys in the shared Redis are its alone.
  const provider = `stripe-outage-${randomBytes(4).toString('hex')}`
  let gateway: Gateway | undefined
  let sim: Simulator | undefined
  afterAll(async () => {
    await gateway?.stop()
    await sim?.close()
    const keys = await redis.client.keys(`seamline:limit:{gateway:proxy:${provider}}*`)
    if (keys.length > 0) await redis.client.del(...keys)
  })

  it('keeps proxying on per-process limits, says so once, and shares them again when Redis is back', async () => {
    sim = await createSimulator({
      profile: 'stripe',
      stripe: { ratePerSecond: 1e6, concurrency: 1e6 },
    })
    const relay = await relayTo(new URL(redisUrl!))
    const lines: { level: number; msg: string }[] = []
    const stream = new PassThrough()
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as { level: number; msg: string })
    })
    gateway = await createGateway(
      parseConfig({
        store: path,
        redis: `redis://127.0.0.1:${relay.port}`,
        proxy: proxyTokens,
        providers: {
          [provider]: {
            preset: 'stripe',
            baseUrl: sim.url,
            credentials: { apiKey: 'STRIPE_KEY' },
            limits: [{ name: 'second', limit: 1_000, windowMs: 1_000 }],
          },
        },
      }),
      {
        env: { ...proxyTokenEnv, STRIPE_KEY: sim.credentials.apiKey },
        log: { stream, level: 'info' },
      },
    )
    const url = await gateway.start(0, '127.0.0.1')
    const call = async () =>
      (
        await fetch(`${url}/proxy/${provider}/v1/customers?limit=1`, {
          headers: { authorization: `Bearer ${proxyToken}` },
        })
      ).status
    const redisUp = async () =>
      /^seamline_redis_up (\d)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]

    expect(await call()).toBe(200)
    expect(await redisUp()).toBe('1')

    await relay.cut()
    await until(async () => (await redisUp()) === '0', 'the gateway seeing Redis gone')
    for (let i = 0; i < 5; i++) expect(await call()).toBe(200)
    const warnings = lines.filter((line) => line.msg.startsWith('Redis does not answer'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.level).toBe(40)

    await relay.restore()
    await until(async () => (await redisUp()) === '1', 'the gateway seeing Redis back', 30_000)
    expect(lines.some((line) => line.msg.startsWith('Redis answers again'))).toBe(true)
    expect(await call()).toBe(200)
    // Shared again: the limiter's window is counted in Redis.
    await until(
      async () =>
        (await redis.client.keys(`seamline:limit:{gateway:proxy:${provider}}*`)).length > 0,
      'the limiter writing to Redis',
    )
  }, 60_000)
})
