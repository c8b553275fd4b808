import { createHash } from 'node:crypto'
import type { Emitter } from '../../events/index.js'
import { SeamlineError } from '../../errors/index.js'
import { PermanentError, type JobContext } from '../../jobs/index.js'
import type { Limiter, QuotaSpec } from '../../limits/index.js'
import type { Clock } from '../../time/index.js'
import { webhookScheme, type WebhookEvent } from '../../webhooks/index.js'
import type { DestinationConfig } from '../config-schema.js'
import type { GatewayLimits } from '../limits.js'
import { oneAttemptClient, postOnce } from '../outbound.js'

/** What a delivery attempt came to, for metrics and logs. */
export interface DeliveryOutcome {
  source: string
  eventId: string
  attempt: number
  /** The destination's status, when it answered. */
  status?: number
  outcome: 'delivered' | 'failed' | 'gone'
  /** From the attempt's start (after any wait for the destination's quota) to its end. */
  durationMs: number
}

export type DeliveryEvents = { 'delivery:attempt': DeliveryOutcome }

export interface ForwarderOptions {
  source: string
  destination: DestinationConfig
  /** The `whsec_…` secret the forwarded request is signed with. */
  secret: string
  clock: Clock
  /** Where the destination's limiter is made and watched, when it has limits. */
  limits: Pick<GatewayLimits, 'create'>
  /** Told every attempt's outcome. */
  events: Emitter<DeliveryEvents>
}

const signer = webhookScheme('standard-webhooks')

// Standard Webhooks ids may not contain a dot; such ids are replaced by a digest, stable per event.
const messageId = (source: string, eventId: string): string =>
  /^[A-Za-z0-9_:-]{1,200}$/.test(eventId)
    ? eventId
    : `msg_${createHash('sha256').update(`${source}\u0000${eventId}`).digest('hex').slice(0, 32)}`

function limiterFor({ destination, source, limits }: ForwarderOptions): Limiter | undefined {
  const quotas: QuotaSpec[] = [
    ...(destination.rateLimit
      ? [{ name: 'second', limit: destination.rateLimit.perSecond, windowMs: 1_000 }]
      : []),
    ...(destination.concurrency ? [{ name: 'concurrent', limit: destination.concurrency }] : []),
  ]
  if (quotas.length === 0) return undefined
  return limits.create(`destination ${source}`, { name: `gateway:destination:${source}`, quotas })
}

// Hop-by-hop and signature headers are the gateway's to set, not the sender's to pass on. The
// body goes on as the bytes received, so its encoding goes with it.
const passed = ['content-type', 'content-encoding', 'user-agent']

const utf8 = new TextEncoder()

/**
 * A value as a header can carry any: percent-encoded UTF-8, every byte outside printable ASCII
 * and `%` itself, so `decodeURIComponent` gives it back and a plain id (`evt_1`) is unchanged.
 */
export function headerValue(value: string): string {
  if (/^[\x21-\x24\x26-\x7e]*$/.test(value)) return value
  let out = ''
  for (const byte of utf8.encode(value))
    out +=
      byte > 0x20 && byte < 0x7f && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  return out
}

function headersOf(
  event: WebhookEvent,
  signature: Record<string, string>,
  source: string,
  attempt: number,
) {
  const headers: Record<string, string> = {
    ...Object.fromEntries(
      passed.flatMap((name) => {
        const value = event.raw.headers[name]
        return value === undefined ? [] : [[name, value]]
      }),
    ),
    ...signature,
    'x-seamline-source': source,
    'x-seamline-event-id': headerValue(event.id),
    'x-seamline-event-type': headerValue(event.type),
    'x-seamline-attempt': String(attempt),
  }
  headers['content-type'] ??= 'application/json'
  return headers
}

/**
 * The job handler that forwards one verified event to its source's destination, signed with
 * Standard Webhooks headers, through the resilient client. A non-2xx answer throws (the job
 * retries with backoff); 410 Gone throws `PermanentError` (a dead letter at once: the
 * destination asked for no more).
 */
export function createForwarder(options: ForwarderOptions) {
  const { destination, source, secret, clock, events } = options
  const limiter = limiterFor(options)
  const { url, timeoutMs } = destination
  const client = oneAttemptClient(`destination ${source}`, url, timeoutMs, clock)
  return async (event: WebhookEvent, ctx: JobContext): Promise<void> => {
    // Waiting longer than a few seconds would hold a worker slot; the job is snoozed instead
    // (a RateLimitedError does not spend an attempt).
    const permit = await limiter?.acquire({ signal: ctx.signal, maxWaitMs: 5_000 })
    const attempt = ctx.job.attempt
    const started = clock.now()
    const told = (outcome: DeliveryOutcome['outcome'], status?: number) =>
      events.emit('delivery:attempt', {
        source,
        eventId: event.id,
        attempt,
        ...(status !== undefined && { status }),
        outcome,
        durationMs: clock.now() - started,
      })
    try {
      const body = Buffer.from(event.raw.body)
      const signature = signer.sign({
        payload: body,
        secret,
        id: messageId(source, event.id),
        clock,
      })
      const headers = headersOf(event, signature, source, attempt)
      let status: number
      try {
        status = await postOnce(
          client,
          url,
          { headers, body, signal: ctx.signal, timeoutMs },
          clock,
        )
      } catch (error) {
        told('failed')
        throw new SeamlineError('SEAM_ERR_WEBHOOK_DELIVERY_FAILED', {
          operation: `forward ${source} event ${event.id} to`,
          target: url,
          reason: `failed without an answer (attempt ${attempt}): ${(error as Error).message}`,
          cause: error,
        })
      }
      if (status >= 200 && status < 300) return told('delivered', status)
      if (status === 410) {
        told('gone', status)
        throw new PermanentError(
          `forward ${source} event ${event.id} to ${url} got 410 Gone: the destination asked for no more deliveries`,
        )
      }
      told('failed', status)
      throw new SeamlineError('SEAM_ERR_WEBHOOK_DELIVERY_FAILED', {
        operation: `forward ${source} event ${event.id} to`,
        target: url,
        reason: `failed with ${status} (attempt ${attempt})`,
      })
    } finally {
      permit?.release()
    }
  }
}
