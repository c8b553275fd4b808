import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, inject } from 'vitest'

/** The reachable Redis URL, or null outside CI when none answers (tests skip themselves). */
export const redisUrl = inject('redisUrl')

export interface RedisNamespace {
  /** A key prefix unique to this test file; every key the test writes must start with it. */
  readonly prefix: string
  /** A client connected for the file's tests, disconnected afterwards. */
  readonly client: Redis
}

/**
 * Gives the calling test file its own key prefix on the shared Redis, and deletes every key under
 * it after the file's tests. Call at the top of a `describe.skipIf(!redisUrl)` block.
 */
export function useRedisNamespace(): RedisNamespace {
  const prefix = `seamline-test:${randomBytes(6).toString('hex')}:`
  let client: Redis | undefined

  beforeAll(async () => {
    if (!redisUrl)
      throw new Error('useRedisNamespace() needs Redis; guard with describe.skipIf(!redisUrl)')
    client = new Redis(redisUrl, { lazyConnect: true })
    await client.connect()
  })

  afterAll(async () => {
    if (!client) return
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await client.del(...(keys as string[]))
    }
    client.disconnect()
  })

  return {
    prefix,
    get client() {
      if (!client) throw new Error('the namespace exists only inside tests and hooks')
      return client
    },
  }
}
