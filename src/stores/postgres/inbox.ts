import type pg from 'pg'
import type { EnqueueResult, JobState, NewJob } from '../job-types.js'
import type {
  InboxEvent,
  InboxListing,
  InboxOutcome,
  InboxRecord,
  InboxStore,
} from '../other-types.js'
import { insertColumns, type JobInput } from './enqueue.js'
import { changes, readStatements, rows, type Queryable, type Row } from './statements.js'
import { inTransaction } from './transaction.js'

const s = readStatements(
  new URL('./others.sql', import.meta.url),
  ['inboxReceive', 'inboxInsert', 'inboxDropJobs', 'inboxGet', 'inboxPrune', 'inboxList'],
  'seamline_others',
)

type EnqueueOn = (db: Queryable, jobs: readonly NewJob[], now: number) => Promise<EnqueueResult[]>

const inboxRecord = (row: Row): InboxRecord => ({
  source: row.source as string,
  eventId: row.event_id as string,
  receivedAt: Number(row.received_at),
  headers: row.headers as Record<string, string>,
  body: new Uint8Array(row.body as Buffer),
  jobId: row.job_id === null ? null : (row.job_id as string | number).toString(),
})

const eventKey = (source: string, eventId: string): string => `${source}\u0000${eventId}`

/** An event as the insert statements read it from JSON, its body apart (see `bodiesOf`). */
const rowRecord = (e: InboxEvent, i: number) => ({
  i: i + 1,
  source: e.source,
  event_id: e.eventId,
  received_at: e.receivedAt,
  headers: e.headers,
  replay_key: e.replayKey ?? null,
})

/** The events' bodies end to end (sent as binary), and where each starts and the last ends. */
function bodiesOf(events: readonly InboxEvent[]) {
  const bodyOffsets = [0]
  for (const e of events) bodyOffsets.push(bodyOffsets.at(-1)! + e.body.byteLength)
  return { bodies: Buffer.concat(events.map((e) => e.body)), bodyOffsets }
}

/** The first event of each (source, event id): a batch naming one twice stores its first copy. */
function firstOfEach(events: readonly InboxEvent[]): InboxEvent[] {
  const seen = new Set<string>()
  return events.filter((e) => {
    const key = eventKey(e.source, e.eventId)
    return !seen.has(key) && seen.add(key)
  })
}

/** Each event's outcome: new (once, for the event stored) with its job, or a duplicate. */
function answers(events: readonly InboxEvent[], stored: Map<InboxEvent, string | null>) {
  return events.map((e): InboxOutcome =>
    stored.has(e) ? { kind: 'new', jobId: stored.get(e) ?? null } : { kind: 'duplicate' },
  )
}

/**
 * Stores new events with their jobs in one statement, which commits by itself: for jobs
 * without a key, which cannot meet a job holding it.
 */
async function receiveAtOnce(
  db: Queryable,
  events: readonly InboxEvent[],
  newKey: () => string,
): Promise<InboxOutcome[]> {
  const firsts = firstOfEach(events)
  // Each event with a job names its place among the jobs' columns, counted from 1.
  const jobs: JobInput[] = []
  const records = firsts.map((e, i) => ({
    ...rowRecord(e, i),
    job: e.job ? jobs.push({ job: e.job, idempotencyKey: e.job.idempotencyKey ?? newKey() }) : null,
  }))
  const rowsStored = await rows(db, s.inboxReceive, {
    events: JSON.stringify(records),
    ...bodiesOf(firsts),
    ...insertColumns(jobs),
  })
  const jobOf = new Map(
    rowsStored.map((row) => [
      eventKey(row.source as string, row.event_id as string),
      row.job_id === null ? null : String(row.job_id as string | number),
    ]),
  )
  const stored = new Map<InboxEvent, string | null>()
  for (const e of firsts) {
    const key = eventKey(e.source, e.eventId)
    if (jobOf.has(key)) stored.set(e, jobOf.get(key) ?? null)
  }
  return answers(events, stored)
}

/** Stores new events and enqueues their jobs through `db`, inside the caller's transaction. */
async function receiveOn(
  db: Queryable,
  events: readonly InboxEvent[],
  enqueueOn: EnqueueOn,
): Promise<InboxOutcome[]> {
  const firsts = firstOfEach(events)
  // Jobs first, so each inbox row is written once, with its job id; a duplicate's job is
  // dropped again in the same transaction (duplicates are the rare case).
  const jobIds = new Map<InboxEvent, string>()
  // A job kept because its key was held is another's: a duplicate must not drop it.
  const inserted = new Set<InboxEvent>()
  for (const at of new Set(firsts.map((e) => e.receivedAt))) {
    const due = firsts.filter((e) => e.receivedAt === at && e.job !== undefined)
    if (due.length === 0) continue
    const results = await enqueueOn(
      db,
      due.map((e) => e.job as NewJob),
      at,
    )
    due.forEach((e, i) => {
      jobIds.set(e, results[i]?.id as string)
      if (results[i]?.outcome === 'inserted') inserted.add(e)
    })
  }
  const records = firsts.map((e, i) => ({ ...rowRecord(e, i), job_id: jobIds.get(e) ?? null }))
  const inboxRows = await rows(db, s.inboxInsert, {
    events: JSON.stringify(records),
    ...bodiesOf(firsts),
  })
  const isNew = new Set(
    inboxRows.map((row) => eventKey(row.source as string, row.event_id as string)),
  )
  const dropped = firsts.filter((e) => !isNew.has(eventKey(e.source, e.eventId)) && inserted.has(e))
  if (dropped.length > 0) {
    await changes(db, s.inboxDropJobs, { ids: dropped.map((e) => jobIds.get(e)) })
  }
  const stored = new Map<InboxEvent, string | null>()
  for (const e of firsts) {
    if (isNew.has(eventKey(e.source, e.eventId))) stored.set(e, jobIds.get(e) ?? null)
  }
  return answers(events, stored)
}

export function postgresInbox(
  pool: pg.Pool,
  enqueueOn: EnqueueOn,
  newKey: () => string,
  onEnqueued: (names: readonly string[]) => void,
): InboxStore {
  return {
    async receive(events) {
      if (events.length === 0) return []
      // One statement, one round trip, unless a job has a key that may be held.
      const outcomes = events.some((e) => e.job?.key !== undefined)
        ? await inTransaction(pool, (client) => receiveOn(client, events, enqueueOn))
        : await receiveAtOnce(pool, events, newKey)
      const names = events.flatMap((e, i) =>
        e.job && outcomes[i]?.kind === 'new' ? [e.job.name] : [],
      )
      if (names.length > 0) onEnqueued([...new Set(names)])
      return outcomes
    },
    async get(source, eventId) {
      const [row] = await rows(pool, s.inboxGet, { source, eventId })
      return row && inboxRecord(row)
    },
    prune: (before) => changes(pool, s.inboxPrune, { before }),
    async list(filter) {
      const found = await rows(pool, s.inboxList, {
        source: filter.source ?? null,
        eventId: filter.eventId ?? null,
        state: filter.state ?? null,
        before: filter.before ?? null,
        limit: filter.limit ?? 50,
      })
      return found.map((row): InboxListing => ({
        ...inboxRecord(row),
        jobState: (row.job_state as JobState | null) ?? null,
        jobAttempts: row.job_attempts === null ? null : Number(row.job_attempts),
      }))
    },
  }
}
