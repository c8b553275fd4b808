import type { JobState, NewJob } from './job-types.js'

/** A received webhook, kept byte for byte so it can be verified, inspected and replayed. */
export interface InboxEvent {
  source: string
  eventId: string
  receivedAt: number
  headers: Record<string, string>
  body: Uint8Array
  /**
   * A second key the event is a duplicate by, for providers whose event id is not signed (a
   * digest of the signed body): a replay under a new id is then recognized too.
   */
  replayKey?: string
  /** The job that processes the event, enqueued in the same transaction when it is new. */
  job?: NewJob
}

export interface InboxRecord extends Omit<InboxEvent, 'job' | 'replayKey'> {
  jobId: string | null
}

/** Which stored events `InboxStore.list` answers with; every field narrows, none is required. */
export interface InboxFilter {
  source?: string
  eventId?: string
  /** The state of the event's job: `pending`, `running`, `completed` or `dead`. */
  state?: JobState
  /** Received before this time (paging: the last row's `receivedAt`). */
  before?: number
  /** Default 50. */
  limit?: number
}

/** A stored event as listed, with the state of the job that handles it. */
export interface InboxListing extends InboxRecord {
  jobState: JobState | null
  jobAttempts: number | null
}

export type InboxOutcome = { kind: 'new'; jobId: string | null } | { kind: 'duplicate' }

export interface InboxStore {
  /**
   * Stores each event unless its (source, event id) is already stored, and enqueues each new
   * event's job, all in one transaction that has committed when the promise resolves.
   */
  receive(events: readonly InboxEvent[]): Promise<InboxOutcome[]>
  get(source: string, eventId: string): Promise<InboxRecord | undefined>
  /** Deletes events received before `before`; returns how many. */
  prune(before: number): Promise<number>
  /** Stored events, newest first, with their jobs' states (the admin API's event search). */
  list(filter: InboxFilter): Promise<InboxListing[]>
}

/** A stored answer to a request made with an idempotency key. */
export interface StoredResponse {
  status: number
  body: unknown
}

export type IdempotencyBegin =
  /** The key is new, or its last holder let go or timed out: resume from `recoveryPoint`. */
  | { kind: 'acquired'; recoveryPoint: string }
  /** Another request holds the key and its lock has not timed out. */
  | { kind: 'in_progress' }
  /** The key was used with a different request. */
  | { kind: 'mismatch' }
  | { kind: 'finished'; response: StoredResponse }

export interface IdempotencyKeyRef {
  scope: string
  key: string
}

/** One idempotency record as stored, for readers that answer from it without taking its key. */
export interface IdempotencyRecord {
  fingerprint: string
  recoveryPoint: string
  /** Until when its holder's lock runs; null once released or finished. */
  lockedUntil: number | null
  /** The stored answer, once finished. */
  response: StoredResponse | null
  createdAt: number
  updatedAt: number
}

/**
 * Stripe-style idempotency records: one row per (scope, key) holding the request's
 * fingerprint, a lock, the last recovery point reached and, once finished, the response.
 */
export interface IdempotencyStore {
  begin(
    ref: IdempotencyKeyRef & { fingerprint: string; now: number; lockMs: number },
  ): Promise<IdempotencyBegin>
  /** Records progress; false when the caller no longer holds the key. */
  advance(ref: IdempotencyKeyRef, recoveryPoint: string, now: number): Promise<boolean>
  finish(ref: IdempotencyKeyRef, response: StoredResponse, now: number): Promise<boolean>
  /** Lets go of the key without finishing, so a retry may resume at once. */
  release(ref: IdempotencyKeyRef): Promise<void>
  /** The record as it is now, without taking or changing it; undefined when there is none. */
  get(ref: IdempotencyKeyRef): Promise<IdempotencyRecord | undefined>
  prune(before: number): Promise<number>
}

/** A held lease: `token` grows with every acquisition, so a stale holder's writes can be fenced. */
export interface Lease {
  name: string
  owner: string
  token: number
  expiresAt: number
}

/** Named leases with fencing tokens, shared by every process on the store. */
export interface LeaseStore {
  acquire(name: string, owner: string, now: number, ttlMs: number): Promise<Lease | null>
  /** Extends a held lease; null when it was lost. */
  renew(lease: Lease, now: number, ttlMs: number): Promise<Lease | null>
  /** Deletes the lease only if `lease` still holds it. */
  release(lease: Lease): Promise<boolean>
}
