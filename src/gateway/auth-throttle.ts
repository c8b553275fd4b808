import type { Registry } from 'prom-client'
import type { Clock } from '../time/index.js'
import { counter } from './metrics.js'

/** Where an admin credential is tried: the API's Bearer token, or the dashboard's login form. */
export type AuthSurface = 'api' | 'ui'

/**
 * Failed admin-token attempts, counted per client address: past `maxFailures` within `windowMs`,
 * every attempt from that address is refused until the oldest failure leaves the window, the
 * right token included (else a refusal would still tell a right guess from a wrong one).
 */
export interface AuthThrottle {
  /** How long `address` must wait before it may try again; 0 when it may try now. */
  waitMs(address: string, surface: AuthSurface): number
  /** Records a failed attempt from `address`. */
  failed(address: string, surface: AuthSurface): void
}

export interface AuthThrottleOptions {
  clock: Clock
  registry: Registry
  maxFailures?: number
  windowMs?: number
  /** Addresses remembered at most; the longest-idle is forgotten first. */
  maxAddresses?: number
}

/**
 * An IPv6 client holds a whole /64 and can pick any address in it: it is counted as one. An IPv4
 * address (also as `::ffff:a.b.c.d`) is counted alone.
 */
export function addressKey(address: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (v4) return v4[1]!
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

export function createAuthThrottle(options: AuthThrottleOptions): AuthThrottle {
  const { clock, maxFailures = 10, windowMs = 60_000, maxAddresses = 10_000 } = options
  // Each address's failure times, oldest first; the Map's order is the order of last failure.
  const failures = new Map<string, number[]>()
  const failedTotal = counter(
    options.registry,
    'seamline_admin_auth_failures_total',
    'Attempts with a wrong admin token, by where they were made (api, ui).',
    ['surface'],
  )
  const throttledTotal = counter(
    options.registry,
    'seamline_admin_auth_throttled_total',
    'Attempts refused with 429 because their address failed too often, by where (api, ui).',
    ['surface'],
  )

  const recent = (key: string, now: number): number[] => {
    const times = (failures.get(key) ?? []).filter((at) => at > now - windowMs)
    if (times.length === 0) failures.delete(key)
    return times
  }

  return {
    waitMs(address, surface) {
      const now = clock.now()
      const times = recent(addressKey(address), now)
      if (times.length < maxFailures) return 0
      throttledTotal.inc({ surface })
      return times[times.length - maxFailures]! + windowMs - now
    },
    failed(address, surface) {
      failedTotal.inc({ surface })
      const key = addressKey(address)
      const now = clock.now()
      const times = recent(key, now)
      times.push(now)
      failures.delete(key)
      failures.set(key, times.slice(-maxFailures))
      if (failures.size > maxAddresses) failures.delete(failures.keys().next().value!)
    },
  }
}
