import type { NewJob } from '../job-types.js'
import type { JobState } from '../job-types.js'
import type {
  IdempotencyRecord,
  IdempotencyStore,
  InboxListing,
  InboxRecord,
  InboxStore,
  LeaseStore,
} from '../other-types.js'
import { readQueries } from '../sql-files.js'
import { lazyStatements, type SqliteDatabase } from './connection.js'

const names = [
  'inboxHas',
  'inboxInsert',
  'inboxGet',
  'inboxPrune',
  'inboxList',
  'idempotencyInsert',
  'idempotencyGet',
  'idempotencyLock',
  'idempotencyAdvance',
  'idempotencyFinish',
  'idempotencyRelease',
  'idempotencyPrune',
  'leaseGet',
  'leaseNextToken',
  'leasePut',
  'leaseRenew',
  'leaseRelease',
] as const
const sql = readQueries(new URL('./others.sql', import.meta.url), names)

type Write = <T>(work: () => T) => Promise<T>

const inboxRecord = (row: Record<string, unknown>): InboxRecord => ({
  source: row.source as string,
  eventId: row.event_id as string,
  receivedAt: row.received_at as number,
  headers: JSON.parse(row.headers as string) as Record<string, string>,
  body: new Uint8Array(row.body as Buffer),
  jobId: row.job_id === null ? null : (row.job_id as number).toString(),
})

const idempotencyRecord = (row: Record<string, unknown>): IdempotencyRecord => ({
  fingerprint: row.fingerprint as string,
  recoveryPoint: row.recovery_point as string,
  lockedUntil: (row.locked_until as number | null) ?? null,
  response:
    row.response_status === null
      ? null
      : {
          status: row.response_status as number,
          body: JSON.parse(row.response_body as string) as unknown,
        },
  createdAt: row.created_at as number,
  updatedAt: row.updated_at as number,
})

export function sqliteOtherStores(
  db: SqliteDatabase,
  write: Write,
  enqueue: (jobs: readonly NewJob[], now: number) => { id: string }[],
  onEnqueued: (names: string[]) => void,
): { inbox: InboxStore; idempotency: IdempotencyStore; leases: LeaseStore } {
  const s = lazyStatements(db, sql)

  const inbox: InboxStore = {
    async receive(events) {
      const outcomes = await write(() =>
        events.map((event) => {
          const key = {
            source: event.source,
            eventId: event.eventId,
            replayKey: event.replayKey ?? null,
          }
          if ((s.inboxHas.get(key) as { found: number }).found)
            return { kind: 'duplicate' as const }
          const jobId = event.job ? (enqueue([event.job], event.receivedAt)[0]?.id ?? null) : null
          s.inboxInsert.run({
            ...key,
            receivedAt: event.receivedAt,
            headers: JSON.stringify(event.headers),
            body: Buffer.from(event.body.buffer, event.body.byteOffset, event.body.byteLength),
            jobId: jobId === null ? null : Number(jobId),
          })
          return { kind: 'new' as const, jobId }
        }),
      )
      const jobNames = events.flatMap((event, i) =>
        event.job && outcomes[i]?.kind === 'new' ? [event.job.name] : [],
      )
      if (jobNames.length > 0) onEnqueued([...new Set(jobNames)])
      return outcomes
    },
    async get(source, eventId) {
      const row = s.inboxGet.get({ source, eventId }) as Record<string, unknown> | undefined
      return Promise.resolve(row && inboxRecord(row))
    },
    prune: (before) => write(() => s.inboxPrune.run({ before }).changes),
    list(filter) {
      const found = s.inboxList.all({
        source: filter.source ?? null,
        eventId: filter.eventId ?? null,
        state: filter.state ?? null,
        before: filter.before ?? null,
        limit: filter.limit ?? 50,
      }) as Record<string, unknown>[]
      return Promise.resolve(
        found.map((row): InboxListing => ({
          ...inboxRecord(row),
          jobState: (row.job_state as JobState | null) ?? null,
          jobAttempts: (row.job_attempts as number | null) ?? null,
        })),
      )
    },
  }

  const idempotency: IdempotencyStore = {
    begin({ scope, key, fingerprint, now, lockMs }) {
      const lockedUntil = now + lockMs
      return write(() => {
        if (s.idempotencyInsert.run({ scope, key, fingerprint, lockedUntil, now }).changes === 1) {
          return { kind: 'acquired', recoveryPoint: 'started' }
        }
        const row = s.idempotencyGet.get({ scope, key }) as Record<string, unknown>
        if (row.fingerprint !== fingerprint) return { kind: 'mismatch' }
        if (row.response_status !== null) {
          const body = JSON.parse(row.response_body as string) as unknown
          return { kind: 'finished', response: { status: row.response_status as number, body } }
        }
        if (row.locked_until !== null && (row.locked_until as number) > now) {
          return { kind: 'in_progress' }
        }
        s.idempotencyLock.run({ scope, key, lockedUntil, now })
        return { kind: 'acquired', recoveryPoint: row.recovery_point as string }
      })
    },
    advance: ({ scope, key }, recoveryPoint, now) =>
      write(() => s.idempotencyAdvance.run({ scope, key, recoveryPoint, now }).changes === 1),
    finish: ({ scope, key }, response, now) =>
      write(
        () =>
          s.idempotencyFinish.run({
            scope,
            key,
            now,
            status: response.status,
            body: JSON.stringify(response.body ?? null),
          }).changes === 1,
      ),
    release: ({ scope, key }) =>
      write(() => {
        s.idempotencyRelease.run({ scope, key })
      }),
    get({ scope, key }) {
      const row = s.idempotencyGet.get({ scope, key }) as Record<string, unknown> | undefined
      return Promise.resolve(row && idempotencyRecord(row))
    },
    prune: (before) => write(() => s.idempotencyPrune.run({ before }).changes),
  }

  const leases: LeaseStore = {
    acquire(name, owner, now, ttlMs) {
      return write(() => {
        const held = s.leaseGet.get({ name }) as { expires_at: number } | undefined
        if (held && held.expires_at > now) return null
        const { token } = s.leaseNextToken.get({ name }) as { token: number }
        const expiresAt = now + ttlMs
        s.leasePut.run({ name, owner, token, expiresAt })
        return { name, owner, token, expiresAt }
      })
    },
    renew(lease, now, ttlMs) {
      const expiresAt = now + ttlMs
      return write(() =>
        s.leaseRenew.run({ ...lease, now, expiresAt }).changes === 1
          ? { ...lease, expiresAt }
          : null,
      )
    },
    release: (lease) =>
      write(
        () =>
          s.leaseRelease.run({ name: lease.name, owner: lease.owner, token: lease.token })
            .changes === 1,
      ),
  }

  return { inbox, idempotency, leases }
}
