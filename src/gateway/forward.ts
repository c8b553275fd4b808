import { createHash } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import { PermanentError, type JobContext } from '../jobs/index.js'
import {
  createLimiter,
  type Limiter,
  type QuotaSpec,
  type QuotaStoreFactory,
} from '../limits/index.js'
import type { Clock } from '../time/index.js'
import { webhookScheme, type WebhookEvent } from '../webhooks/index.js'
import type { DestinationConfig } from './config-schema.js'

/** What a delivery attempt came to, for metrics and logs. */
export interface DeliveryOutcome {
  source: string
  eventId: string
  attempt: number
  /** The destination's status, when it answered. */
  status?: number
  outcome: 'delivered' | 'failed' | 'gone'
}

export interface ForwarderOptions {
  source: string
  destination: DestinationConfig
  /** The `whsec_…` secret the forwarded request is signed with. */
  secret: string
  clock: Clock
  /** Where the destination's limits are kept: this process by default, or Redis. */
  limitStore?: QuotaStoreFactory
  onAttempt(outcome: DeliveryOutcome): void
  /** Told the destination's limiter, when it has limits (the dashboard shows its use). */
  onLimiter?(limiter: Limiter): void
}

const signer = webhookScheme('standard-webhooks')

// Standard Webhooks ids may not contain a dot; such ids are replaced by a digest, stable per event.
const messageId = (source: string, eventId: string): string =>
  /^[A-Za-z0-9_:-]{1,200}$/.test(eventId)
    ? eventId
    : `msg_${createHash('sha256').update(`${source}\u0000${eventId}`).digest('hex').slice(0, 32)}`

function limiterFor(options: ForwarderOptions): Limiter | undefined {
  const { destination, source } = options
  const quotas: QuotaSpec[] = [
    ...(destination.rateLimit
      ? [{ name: 'second', limit: destination.rateLimit.perSecond, windowMs: 1_000 }]
      : []),
    ...(destination.concurrency ? [{ name: 'concurrent', limit: destination.concurrency }] : []),
  ]
  if (quotas.length === 0) return undefined
  return createLimiter({
    quotas,
    clock: options.clock,
    name: `gateway:destination:${source}`,
    ...(options.limitStore && { store: options.limitStore }),
  })
}

// Hop-by-hop and signature headers are the gateway's to set, not the sender's to pass on.
const passed = ['content-type', 'user-agent']

/**
 * The job handler that forwards one verified event to its source's destination, signed with
 * Standard Webhooks headers. A non-2xx answer throws (the job retries with backoff); 410 Gone
 * throws `PermanentError` (a dead letter at once: the destination asked for no more).
 */
export function createForwarder(options: ForwarderOptions) {
  const { destination, source, secret, clock } = options
  const limiter = limiterFor(options)
  if (limiter) options.onLimiter?.(limiter)
  return async (event: WebhookEvent, ctx: JobContext): Promise<void> => {
    // Waiting longer than a few seconds would hold a worker slot; the job is snoozed instead
    // (a RateLimitedError does not spend an attempt).
    const permit = await limiter?.acquire({ signal: ctx.signal, maxWaitMs: 5_000 })
    const attempt = ctx.job.attempt
    try {
      const body = Buffer.from(event.raw.body)
      const id = messageId(source, event.id)
      const signature = signer.sign({ payload: body, secret, id, clock })
      const headers: Record<string, string> = {
        ...Object.fromEntries(
          passed.flatMap((name) => {
            const value = event.raw.headers[name]
            return value === undefined ? [] : [[name, value]]
          }),
        ),
        ...signature,
        'x-seamline-source': source,
        'x-seamline-event-id': event.id,
        'x-seamline-event-type': event.type,
        'x-seamline-attempt': String(attempt),
      }
      headers['content-type'] ??= 'application/json'
      let response: Response
      try {
        response = await fetch(destination.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(destination.timeoutMs)]),
        })
      } catch (error) {
        options.onAttempt({ source, eventId: event.id, attempt, outcome: 'failed' })
        throw new SeamlineError('SEAM_ERR_WEBHOOK_DELIVERY_FAILED', {
          operation: `forward ${source} event ${event.id} to`,
          target: destination.url,
          reason: `failed without an answer (attempt ${attempt}): ${(error as Error).message}`,
          cause: error,
        })
      }
      // The answer's body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined)
      const { status } = response
      if (status >= 200 && status < 300) {
        options.onAttempt({ source, eventId: event.id, attempt, status, outcome: 'delivered' })
        return
      }
      if (status === 410) {
        options.onAttempt({ source, eventId: event.id, attempt, status, outcome: 'gone' })
        throw new PermanentError(
          `forward ${source} event ${event.id} to ${destination.url} got 410 Gone: the destination asked for no more deliveries`,
        )
      }
      options.onAttempt({ source, eventId: event.id, attempt, status, outcome: 'failed' })
      throw new SeamlineError('SEAM_ERR_WEBHOOK_DELIVERY_FAILED', {
        operation: `forward ${source} event ${event.id} to`,
        target: destination.url,
        reason: `failed with ${status} (attempt ${attempt})`,
      })
    } finally {
      permit?.release()
    }
  }
}

/** The value at a dotted path of a payload (`data.object.customer`), as an ordering key. */
export function valueAt(payload: unknown, path: string): string | undefined {
  let value: unknown = payload
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  if (typeof value === 'string' && value !== '') return value
  return typeof value === 'number' ? String(value) : undefined
}
