import type pg from 'pg'
import type {
  IdempotencyBegin,
  IdempotencyRecord,
  IdempotencyStore,
  Lease,
  LeaseStore,
} from '../other-types.js'
import { changes, readStatements, rows } from './statements.js'

const s = readStatements(
  new URL('./others.sql', import.meta.url),
  [
    'idempotencyBegin',
    'idempotencyGet',
    'idempotencyAdvance',
    'idempotencyFinish',
    'idempotencyRelease',
    'idempotencyPrune',
    'leaseAcquire',
    'leaseRenew',
    'leaseRelease',
  ],
  'seamline_others',
)

export function postgresIdempotency(pool: pg.Pool): IdempotencyStore {
  return {
    async begin({ scope, key, fingerprint, now, lockMs }) {
      const lockedUntil = now + lockMs
      // A record that changes between the two statements is looked at again.
      for (;;) {
        const [taken] = await rows(pool, s.idempotencyBegin, {
          scope,
          key,
          fingerprint,
          lockedUntil,
          now,
        })
        if (taken) return { kind: 'acquired', recoveryPoint: taken.recovery_point as string }
        const [row] = await rows(pool, s.idempotencyGet, { scope, key })
        const answer = row && refusal(row, fingerprint, now)
        if (answer) return answer
      }
    },
    advance: async ({ scope, key }, recoveryPoint, now) =>
      (await changes(pool, s.idempotencyAdvance, { scope, key, recoveryPoint, now })) === 1,
    finish: async ({ scope, key }, response, now) =>
      (await changes(pool, s.idempotencyFinish, {
        scope,
        key,
        now,
        status: response.status,
        body: JSON.stringify(response.body ?? null),
      })) === 1,
    async release({ scope, key }) {
      await changes(pool, s.idempotencyRelease, { scope, key })
    },
    async get({ scope, key }) {
      const [row] = await rows(pool, s.idempotencyGet, { scope, key })
      return row && idempotencyRecord(row)
    },
    prune: (before) => changes(pool, s.idempotencyPrune, { before }),
  }
}

const idempotencyRecord = (row: Record<string, unknown>): IdempotencyRecord => ({
  fingerprint: row.fingerprint as string,
  recoveryPoint: row.recovery_point as string,
  lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
  response:
    row.response_status === null
      ? null
      : { status: Number(row.response_status), body: row.response_body },
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
})

/** Why a stored record was not taken, or undefined when it could be now. */
function refusal(
  row: Record<string, unknown>,
  fingerprint: string,
  now: number,
): Exclude<IdempotencyBegin, { kind: 'acquired' }> | undefined {
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' }
  if (row.response_status !== null) {
    return {
      kind: 'finished',
      response: { status: Number(row.response_status), body: row.response_body },
    }
  }
  if (row.locked_until !== null && Number(row.locked_until) > now) return { kind: 'in_progress' }
  return undefined
}

export function postgresLeases(pool: pg.Pool): LeaseStore {
  return {
    async acquire(name, owner, now, ttlMs) {
      const expiresAt = now + ttlMs
      const [row] = await rows(pool, s.leaseAcquire, { name, owner, now, expiresAt })
      return row ? { name, owner, token: Number(row.token), expiresAt } : null
    },
    async renew(lease: Lease, now, ttlMs) {
      const expiresAt = now + ttlMs
      const renewed = await changes(pool, s.leaseRenew, { ...lease, now, expiresAt })
      return renewed === 1 ? { ...lease, expiresAt } : null
    },
    release: async ({ name, owner, token }) =>
      (await changes(pool, s.leaseRelease, { name, owner, token })) === 1,
  }
}
