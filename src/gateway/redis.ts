import type { Redis as IORedis } from 'ioredis'
import type { Redactor } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Emitter } from '../events/index.js'
import { redisQuotaStore, type QuotaStoreFactory } from '../limits/index.js'

/** Redis going away and coming back, as the gateway tells it. */
export type RedisEvents = {
  'redis:down': { error: string }
  'redis:up': Record<string, never>
}

export interface GatewayRedis {
  /** Quotas shared through Redis; each limiter counts in its own process while Redis is down. */
  readonly store: QuotaStoreFactory
  readonly events: Emitter<RedisEvents>
  close(): Promise<void>
}

const startDeadlineMs = 5_000

const codeOf = (error: unknown): string => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return typeof code === 'string' ? code : String(message ?? error)
}

/**
 * Opens Redis (`ioredis`, loaded on demand), and refuses the start, naming `redis`, when it does
 * not answer. Afterwards a lost connection is a `redis:down` event, never an unhandled error:
 * commands fail at once instead of queueing, so each limiter counts locally until `redis:up`.
 */
export async function openRedis(url: string, redactor: Redactor): Promise<GatewayRedis> {
  let Redis: typeof IORedis
  try {
    Redis = (await import('ioredis')).Redis
  } catch (error) {
    throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
      operation: 'createGateway',
      target: 'redis',
      reason: 'needs the ioredis package: npm install ioredis',
      cause: error,
    })
  }
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: startDeadlineMs,
  })
  const events = createEmitter<RedisEvents>()
  let up = false
  let lastError = ''
  redis.on('error', (error: unknown) => void (lastError = codeOf(error)))
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    redis.disconnect()
    throw new SeamlineError('SEAM_ERR_NETWORK', {
      operation: 'createGateway',
      target: `redis (${redactor.redact(url)})`,
      reason: `does not answer (${lastError || codeOf(error)})`,
      cause: error,
    })
  }
  up = true
  redis.on('ready', () => {
    if (!up) events.emit('redis:up', {})
    up = true
  })
  redis.on('close', () => {
    if (up) events.emit('redis:down', { error: lastError || 'connection closed' })
    up = false
  })
  return {
    store: redisQuotaStore({ redis, onError: () => undefined }),
    events,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
