import { createEmitter, type Events } from '../../events/index.js'
import { SeamlineError, isSeamlineError } from '../../errors/index.js'
import {
  PermanentError,
  type EnqueueOptions,
  type JobContext,
  type Jobs,
} from '../../jobs/index.js'
import type { InboxEvent, InboxOutcome, Store } from '../../stores/index.js'
import { systemClock, type Clock } from '../../time/index.js'
import { webhookScheme } from '../schemes.js'
import { isHeaders } from '../verify/headers.js'
import type { PaypalScheme } from '../verify/paypal.js'
import type {
  VerifyOptions,
  WebhookHeaders,
  WebhookScheme,
  WebhookSchemeName,
} from '../webhook-scheme.js'
import { eventsOf, replayKeyOf, type EventIdentity, type FlatHeaders } from './event-identity.js'
import { groupCommit } from './group-commit.js'
import { answerHandshake } from './handshakes.js'
import { parsePayload, readPayload } from './body-check.js'
import {
  BodiesBusyError,
  BodyTooLargeError,
  ReadingBudget,
  readBody,
  type RawBody,
} from './read-body.js'

/** A verified, stored event, as a handler receives it. */
export interface WebhookEvent<T = unknown> {
  source: string
  provider: WebhookSchemeName
  /** The provider's id for the event (or `sha256:…` of the body when it sends none). */
  id: string
  type: string
  /** The body parsed as JSON, or its text when it is not JSON. */
  payload: T
  raw: { headers: FlatHeaders; body: Uint8Array; receivedAt: number }
}

export interface WebhookSourceOptions {
  /** A scheme's name, or a scheme made with options (`genericHmacScheme(…)`, `paypalScheme(…)`). */
  scheme: WebhookSchemeName | WebhookScheme
  /** Every secret accepted now; during a rotation, the old and the new. */
  secrets: readonly string[]
  toleranceMs?: number
  /** Events with the same key are handled one at a time, in the order they arrived. */
  orderBy?: (event: WebhookEvent) => string | undefined
  /**
   * The public URL the provider posts to, for schemes that sign it (twilio, square, hubspot):
   * behind a proxy the URL the app sees is not the one that was signed. Default the request's.
   */
  url?: string
  /** Retries and the rest for the jobs that run this source's handler. */
  job?: Pick<EnqueueOptions, 'maxAttempts' | 'backoff' | 'priority'>
}

export interface WebhookInboxOptions {
  store: Store
  jobs: Jobs
  sources: Readonly<Record<string, WebhookSourceOptions>>
  clock?: Clock
  /** Larger bodies are refused with 413 while they stream in. Default 10 MiB. */
  maxBodyBytes?: number
  /**
   * The bytes all bodies being read at once may hold (not yet verified: anyone can send them).
   * Past it, a delivery is answered 503 and comes again. Default 16 MiB, at least `maxBodyBytes`.
   */
  maxReadingBytes?: number
  /**
   * How long a received event is remembered for deduplication. Default 7 days, longer than any
   * provider keeps retrying (Stripe: 3 days).
   */
  retentionMs?: number
}

export interface WebhookRequest {
  source: string
  headers: WebhookHeaders
  body: RawBody
  /** The absolute URL the request came to; needed by schemes that sign it. */
  url?: string
  /** The request's method; signed by HubSpot. Default POST. */
  method?: string
}

export interface WebhookResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export type WebhookInboxEvents = {
  'webhook:received': { source: string; id: string; type: string }
  /** A provider's endpoint check (Slack, Zoom, Twitch, Discord, Xero, GitHub ping), answered. */
  'webhook:handshake': { source: string }
  'webhook:duplicate': { source: string; id: string }
  /** Refused before anything was stored: `reason` is an error code or `too_large`. */
  'webhook:rejected': { source: string; reason: string }
  /** The store failed; the provider got 503 and will deliver again. */
  'webhook:store-failed': { source: string; error: unknown }
}

export type WebhookHandler<T = unknown> = (event: WebhookEvent<T>, ctx: JobContext) => unknown

export interface WebhookInbox {
  readonly events: Events<WebhookInboxEvents>
  /**
   * Verifies, deduplicates and durably stores one delivery, and answers it: 2xx only once the
   * event is committed (a duplicate too), 401 for a bad signature, 413 for a body over the
   * limit, 404 for an unknown source, 503 when the store failed (never 4xx: the provider must
   * deliver again).
   */
  receive(request: WebhookRequest): Promise<WebhookResponse>
  /** The handler of a source's events, run as a durable job with retries and dead letters. */
  on<T = unknown>(source: string, handler: WebhookHandler<T>): void
  /** Forgets events received before the retention period; returns how many. */
  prune(): Promise<number>
}

const json = (status: number, body: unknown): WebhookResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

// Credentials of the request itself are not the provider's to keep.
const unkept = new Set(['authorization', 'cookie', 'proxy-authorization'])

function flatten(headers: WebhookHeaders): FlatHeaders {
  const entries: [string, string][] = isHeaders(headers)
    ? [...headers.entries()]
    : Object.entries(headers).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
      )
  return Object.fromEntries(
    entries.map(([k, v]) => [k.toLowerCase(), v] as const).filter(([k]) => !unkept.has(k)),
  )
}

const jobName = (source: string): string => `webhook:${source}`

/** A scheme as the inbox uses it: one that may need to fetch first (PayPal) verifies async. */
type InboxScheme = WebhookScheme & Partial<Pick<PaypalScheme, 'verifyAsync'>>

export function createWebhookInbox(options: WebhookInboxOptions): WebhookInbox {
  const { store, jobs, sources } = options
  const clock = options.clock ?? systemClock
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024
  const reading = new ReadingBudget(
    Math.max(options.maxReadingBytes ?? 16 * 1024 * 1024, maxBodyBytes),
  )
  const retentionMs = options.retentionMs ?? 7 * 86_400_000
  const events = createEmitter<WebhookInboxEvents>()
  const schemes = new Map<string, InboxScheme>()
  for (const [name, source] of Object.entries(sources)) {
    schemes.set(
      name,
      typeof source.scheme === 'string' ? webhookScheme(source.scheme) : source.scheme,
    )
    if (source.secrets.length === 0) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'createWebhookInbox',
        target: `sources.${name}.secrets`,
        reason: 'must list at least one secret',
      })
    }
  }

  const schemeOf = (source: string) => schemes.get(source) as InboxScheme
  const eventOf = (
    source: string,
    scheme: WebhookSchemeName,
    identity: EventIdentity,
    raw: WebhookEvent['raw'],
    payload: unknown,
  ): WebhookEvent => ({
    source,
    provider: scheme,
    id: identity.id,
    type: identity.type,
    payload,
    raw,
  })
  // Two transactions out at once: one commits while the next is written. A batch of at most 500
  // events and 16 MiB of bodies keeps a backlog's transactions short, and far below the 1 GB a
  // statement's parameter may hold. Past 64 MiB waiting, the store is down or far behind:
  // deliveries get a 503 at once, to come again, instead of piling up in memory.
  const commit = groupCommit((batch: readonly InboxEvent[]) => store.inbox.receive(batch), {
    maxInFlight: 2,
    maxItems: 500,
    maxBytes: 16 * 1024 * 1024,
    maxWaitingBytes: 64 * 1024 * 1024,
    bytesOf: (event) => event.body.byteLength,
  })
  const prune = () => store.inbox.prune(clock.now() - retentionMs)
  schedulePruning(jobs, prune)

  // Verifies the delivery; on success, the index of the secret it matched. A scheme that may
  // need to fetch something first (PayPal's certificate) is verified asynchronously.
  const verify = async (name: string, request: WebhookRequest, body: Uint8Array) => {
    const source = sources[name] as WebhookSourceOptions
    const scheme = schemeOf(name)
    const url = source.url ?? request.url
    const options: VerifyOptions = {
      secrets: source.secrets,
      clock,
      ...(source.toleranceMs !== undefined && { toleranceMs: source.toleranceMs }),
      ...(url !== undefined && { url }),
      ...(request.method !== undefined && { method: request.method }),
    }
    const verified = scheme.verifyAsync
      ? await scheme.verifyAsync(request.headers, body, options)
      : scheme.verify(request.headers, body, options)
    return verified.secretIndex
  }

  // One stored event per event the delivery carries, each with the job that will handle it.
  const toStore = (
    name: string,
    source: WebhookSourceOptions,
    headers: FlatHeaders,
    body: Uint8Array,
    payload: unknown,
  ) => {
    const receivedAt = clock.now()
    const scheme = schemeOf(name).name
    return eventsOf(scheme, headers, body, payload).map((identity) => {
      const whole = identity.item === undefined
      const bytes = whole ? body : Buffer.from(JSON.stringify(identity.item))
      const raw = { headers, body: bytes, receivedAt }
      const event = eventOf(name, scheme, identity, raw, whole ? payload : identity.item)
      const orderKey = source.orderBy?.(event)
      const job = jobs.prepare(
        jobName(name),
        { source: name, eventId: event.id },
        { ...source.job, ...(orderKey !== undefined && { orderKey }) },
      )
      const replayKey = whole ? replayKeyOf(scheme, body) : undefined
      const stored: InboxEvent = {
        source: name,
        eventId: event.id,
        receivedAt,
        headers,
        body: bytes,
        ...(replayKey !== undefined && { replayKey }),
        job,
      }
      return { event, stored }
    })
  }

  return {
    events,
    async receive(request) {
      const name = request.source
      const source = Object.hasOwn(sources, name) ? sources[name] : undefined
      if (!source) return json(404, { error: 'unknown webhook source' })
      let body: Uint8Array
      try {
        body = await readBody(request.body, maxBodyBytes, reading)
      } catch (error) {
        if (error instanceof BodiesBusyError) {
          events.emit('webhook:rejected', { source: name, reason: 'busy' })
          return json(503, { error: 'too many bodies are arriving at once; deliver it again' })
        }
        if (!(error instanceof BodyTooLargeError)) throw error
        events.emit('webhook:rejected', { source: name, reason: 'too_large' })
        return json(413, { error: `body larger than ${maxBodyBytes} bytes` })
      }
      let secretIndex: number
      try {
        secretIndex = await verify(name, request, body)
      } catch (error) {
        if (!isSeamlineError(error)) throw error
        events.emit('webhook:rejected', { source: name, reason: error.code })
        return json(401, { error: error.code })
      }
      const headers = flatten(request.headers)
      const read = readPayload(schemeOf(name).name, headers, body)
      if ('problem' in read) {
        const { reason, message } = read.problem
        events.emit('webhook:rejected', { source: name, reason })
        return json(400, { error: reason, message })
      }
      const { payload } = read
      const handshake = answerHandshake(
        schemeOf(name).name,
        headers,
        typeof payload === 'object' && payload !== null
          ? (payload as Record<string, unknown>)
          : undefined,
        source.secrets[secretIndex] as string,
      )
      if (handshake) {
        events.emit('webhook:handshake', { source: name })
        return handshake
      }
      const received = toStore(name, source, headers, body, payload)
      let outcomes: InboxOutcome[]
      try {
        outcomes = await commit(received.map((r) => r.stored))
      } catch (error) {
        events.emit('webhook:store-failed', { source: name, error })
        return json(503, { error: 'the event could not be stored; deliver it again' })
      }
      let duplicates = 0
      received.forEach(({ event }, i) => {
        if (outcomes[i]?.kind === 'duplicate') {
          duplicates++
          events.emit('webhook:duplicate', { source: name, id: event.id })
        } else events.emit('webhook:received', { source: name, id: event.id, type: event.type })
      })
      return json(200, {
        received: true,
        ...(duplicates === received.length && { duplicate: true }),
      })
    },
    on(sourceName, handler) {
      const source = sources[sourceName]
      if (!source) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'inbox.on',
          target: JSON.stringify(sourceName),
          reason: `is not a configured source (${Object.keys(sources).join(', ')})`,
        })
      }
      jobs.define(jobName(sourceName), async (reference, ctx) => {
        const { eventId } = reference as { eventId: string }
        const stored = await store.inbox.get(sourceName, eventId)
        if (!stored)
          throw new PermanentError(`event ${eventId} of ${sourceName} is no longer in the inbox`)
        const raw = { headers: stored.headers, body: stored.body, receivedAt: stored.receivedAt }
        const scheme = schemeOf(sourceName).name
        const payload = parsePayload(raw.body)
        const [identity] = eventsOf(scheme, raw.headers, raw.body, payload)
        const type = identity?.type ?? 'unknown'
        return (handler as WebhookHandler)(
          eventOf(sourceName, scheme, { id: eventId, type }, raw, payload),
          ctx,
        )
      })
    },
    prune,
  }
}

const pruneJob = 'seamline:inbox-prune'

/** Forgets events past their retention every hour, once per hour however many processes run. */
function schedulePruning(jobs: Jobs, prune: () => Promise<number>): void {
  try {
    jobs.define(pruneJob, prune)
    jobs.schedule(pruneJob, { everyMs: 3_600_000, job: pruneJob, missed: 'skip' })
  } catch (error) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'createWebhookInbox',
      target: 'jobs',
      reason: 'is already started: create the webhook inbox before jobs.start()',
      cause: error,
    })
  }
}
