import { createHash, randomBytes } from 'node:crypto'
import type { Lease, LeaseStore } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'

export const sessionCookie = 'seamline_session'

// A session not used for this long is over; the cookie lives as long.
const sessionTtlMs = 12 * 3_600_000
const owner = 'ui'

/**
 * Dashboard sessions, kept in the store (so every gateway process on it knows them, and a
 * restart keeps them) as leases named by a digest of a random id. The cookie holds the id and
 * the lease's fencing token; the store holds neither. Logging out deletes the lease, so a
 * copied cookie is worth nothing after it.
 */
export interface Sessions {
  /** A new session; the cookie value that names it. */
  open(): Promise<string>
  /** Whether the Cookie header names a live session; a use keeps it alive. */
  check(cookieHeader: string | undefined): Promise<boolean>
  /** Ends the session the Cookie header names, if any. */
  close(cookieHeader: string | undefined): Promise<void>
}

const leaseName = (id: string): string =>
  `ui-session:${createHash('sha256').update(id).digest('hex')}`

function cookieValue(header: string | undefined): string | undefined {
  return (header ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === sessionCookie)?.[1]
}

/** The lease a cookie names, when it is shaped like one of ours. */
function leaseOf(header: string | undefined): Lease | undefined {
  const match = /^([A-Za-z0-9_-]{43})\.(\d{1,15})$/.exec(cookieValue(header) ?? '')
  if (!match) return undefined
  return { name: leaseName(match[1]!), owner, token: Number(match[2]), expiresAt: 0 }
}

export function storeSessions(leases: LeaseStore, clock: Clock): Sessions {
  return {
    async open() {
      const id = randomBytes(32).toString('base64url')
      const lease = await leases.acquire(leaseName(id), owner, clock.now(), sessionTtlMs)
      // 256 random bits name no lease already held.
      if (!lease) throw new Error('a fresh session id was already held')
      return `${id}.${lease.token}`
    },
    async check(header) {
      const lease = leaseOf(header)
      return lease !== undefined && (await leases.renew(lease, clock.now(), sessionTtlMs)) !== null
    },
    async close(header) {
      const lease = leaseOf(header)
      if (lease) await leases.release(lease)
    },
  }
}

export function sessionSetCookie(value: string, secure: boolean): string {
  return [
    `${sessionCookie}=${value}`,
    'Path=/ui',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${sessionTtlMs / 1_000}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ')
}

export const sessionClearCookie = `${sessionCookie}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`
