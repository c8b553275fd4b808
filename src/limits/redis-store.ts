import { createHash, randomBytes } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import { localQuotaStore } from './local-store.js'
import type { QuotaStore, QuotaStoreFactory, Taken } from './quota-store.js'
import { quotaScript } from './redis-script.js'

/** The part of an ioredis client the store uses (`new Redis(url)` fits). */
export interface RedisScripting {
  evalsha(sha: string, keys: number, ...args: (string | number)[]): Promise<unknown>
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>
}

export interface RedisQuotaStoreOptions {
  redis: RedisScripting
  /** Prefixes every key. Default `seamline:limit:`. */
  prefix?: string
  /**
   * How long a concurrency unit stays held if its process dies before releasing it. Default
   * 5 minutes: longer than any call should take.
   */
  leaseMs?: number
  /**
   * Called when Redis fails; the limiter then admits against this process's own count until
   * Redis answers again. Default: a process warning, once per outage.
   */
  onError?: (error: unknown) => void
}

const sha = createHash('sha1').update(quotaScript).digest('hex')

/**
 * Quotas shared by every process that names the same limiter: one Lua script admits against
 * every quota at once, on Redis's clock. Keys carry a hash tag, so a limiter's keys sit in one
 * Redis Cluster slot.
 */
export function redisQuotaStore(options: RedisQuotaStoreOptions): QuotaStoreFactory {
  const { redis } = options
  const prefix = options.prefix ?? 'seamline:limit:'
  const leaseMs = options.leaseMs ?? 300_000
  if (!(Number.isInteger(leaseMs) && leaseMs > 0))
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'redisQuotaStore',
      target: 'leaseMs',
      reason: `must be a whole number of milliseconds > 0 (got ${String(leaseMs)})`,
    })

  return (context) => {
    const { quotas } = context
    const tag = `${prefix}{${context.name}}`
    const keys = [
      `${tag}:pause`,
      ...quotas.flatMap((q) => [`${tag}:${q.name}:log`, `${tag}:${q.name}:total`]),
    ]
    // Permit ids: unique across processes without a UUID per call.
    const idPrefix = randomBytes(9).toString('base64url')
    let sequence = 0
    const fallback = localQuotaStore(context)
    let failing = false
    const onError =
      options.onError ??
      ((error: unknown) =>
        process.emitWarning(
          `limiter ${context.name} cannot reach Redis (${String(error)}); limits are per process until it answers`,
          'SeamlineWarning',
        ))

    async function run(
      command: string,
      id: string,
      ms: number,
      perQuota: (i: number) => [string | number, string | number],
    ): Promise<unknown> {
      const args: (string | number)[] = [command, quotas.length, id, ms]
      quotas.forEach((q, i) =>
        args.push(q.windowMs === undefined ? 'c' : 'w', q.windowMs ?? 0, ...perQuota(i)),
      )
      try {
        const reply = await redis
          .evalsha(sha, keys.length, ...keys, ...args)
          .catch((e: unknown) => {
            if (!String(e).includes('NOSCRIPT')) throw e
            return redis.eval(quotaScript, keys.length, ...keys, ...args)
          })
        failing = false
        return reply
      } catch (error) {
        if (!failing) onError(error)
        failing = true
        throw error
      }
    }
    // Releases, reports and pauses are sent without waiting; reports and pauses also go to this
    // process's own count first, so a limit still holds while Redis does not answer.
    const quietly = (work: Promise<unknown>): void => void work.catch(() => undefined)

    const store: QuotaStore = {
      shared: true,
      async take(costs, limits): Promise<Taken> {
        const id = `${idPrefix}.${sequence++}`
        let reply: number[]
        try {
          reply = (await run('take', id, leaseMs, (i) => [costs[i]!, limits[i]!])) as number[]
        } catch {
          return fallback.take(costs, limits)
        }
        const [ok, waitMs, which] = reply as [number, number, number]
        if (ok !== 1)
          return {
            ok: false,
            waitMs: waitMs < 0 ? Infinity : waitMs,
            quota: which === 0 ? 'pause' : quotas[which - 1]!.name,
          }
        return {
          ok: true,
          release(actual) {
            quietly(run('release', id, leaseMs, (i) => [costs[i]!, actual?.[i] ?? '']))
          },
        }
      },
      raise(index, units, resetMs) {
        fallback.raise(index, units, resetMs)
        quietly(
          run('raise', `${idPrefix}.${sequence++}`, 0, (i) =>
            i === index ? [units, resetMs ?? ''] : ['', ''],
          ),
        )
      },
      pause(forMs) {
        fallback.pause(forMs)
        quietly(run('pause', '', Math.max(1, Math.ceil(forMs)), () => ['', '']))
      },
      async used() {
        try {
          return ((await run('used', '', 0, () => ['', ''])) as string[]).map(Number)
        } catch {
          return fallback.used()
        }
      },
    }
    return store
  }
}
