import { SeamlineError } from '../errors/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { webhookScheme } from '../webhooks/index.js'
import { deliveryPolicies, providerHeaders, type SimulatedSchemeName } from './webhook-delivery.js'
import { seededRandom, type Random } from './random.js'

export interface WebhookEvent {
  /** The event's own id (Stripe `evt_…`, Shopify event id, Standard Webhooks `webhook-id`). */
  id: string
  /** Its type or topic: `charge.succeeded`, `issues`, `orders/create`… */
  type: string
  /** Sent as JSON, byte for byte what was signed. */
  payload: unknown
}

export interface WebhookSenderOptions {
  /** Where to deliver: the app's webhook endpoint. */
  target: string
  scheme: SimulatedSchemeName
  secret: string
  clock?: Clock
  /** Seed for delivery ids and out-of-order shuffles. */
  seed?: number
  /** Waits between attempts in ms; default the scheme's provider schedule. */
  schedule?: readonly number[]
  /** Divides every wait of the schedule: 3,600 turns an hour into a second. Default 1. */
  timeScale?: number
  /** Default the scheme's provider ack timeout. Not scaled. */
  ackTimeoutMs?: number
  /** Extra deliveries of each event, each retried on its own, as at-least-once providers do. */
  duplicates?: number
  /** Deliver the events of one `send` in a shuffled order. */
  outOfOrder?: boolean
  /** Start the first duplicate while the first attempt is still in flight. */
  concurrentRedelivery?: boolean
}

export interface DeliveryAttempt {
  eventId: string
  /** Same for every attempt of one delivery; differs between duplicates. */
  deliveryId: string
  /** 1 for the first attempt of a delivery. */
  attempt: number
  /** Clock time the attempt was sent. */
  at: number
  /** The response status, when one came in time. */
  status?: number
  /** Why no status: a network error or `ack timeout`. */
  error?: string
  acknowledged: boolean
}

export interface DeliveryReport {
  attempts: DeliveryAttempt[]
  /** Events acknowledged by at least one delivery. */
  acknowledged: string[]
  /** Events no delivery got acknowledged before the schedule ran out. */
  unacknowledged: string[]
}

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'createWebhookSender',
    target,
    reason,
  })
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** Delivers signed events to an app the way the provider would, and records every attempt. */
export function createWebhookSender(options: WebhookSenderOptions) {
  const scheme = webhookScheme(options.scheme)
  // Other schemes verify, but the simulator models no provider behaviour for them.
  if (!Object.hasOwn(deliveryPolicies, options.scheme)) {
    throw invalid('scheme', `must be one of ${Object.keys(deliveryPolicies).join(', ')}`)
  }
  const clock = options.clock ?? systemClock
  const random = seededRandom(options.seed ?? 1)
  const policy = deliveryPolicies[options.scheme]
  const schedule = options.schedule ?? policy.schedule
  const timeScale = options.timeScale ?? 1
  const ackTimeoutMs = options.ackTimeoutMs ?? policy.ackTimeoutMs
  const duplicates = options.duplicates ?? 0
  if (!(timeScale > 0 && Number.isFinite(timeScale))) {
    throw invalid('timeScale', `must be a positive number (got ${timeScale})`)
  }
  if (!Number.isInteger(duplicates) || duplicates < 0) {
    throw invalid('duplicates', `must be a whole number >= 0 (got ${duplicates})`)
  }
  const target = new URL(options.target)

  async function attempt(
    event: WebhookEvent,
    body: string,
    deliveryId: string,
  ): Promise<Omit<DeliveryAttempt, 'eventId' | 'deliveryId' | 'attempt'>> {
    const at = clock.now()
    const headers = {
      'content-type': 'application/json',
      ...providerHeaders(options.scheme, event, deliveryId, at),
      ...scheme.sign({ payload: body, secret: options.secret, clock, id: event.id }),
    }
    const controller = new AbortController()
    const timer = new AbortController()
    const timedOut = clock.sleep(ackTimeoutMs, timer.signal).then(
      () => {
        controller.abort()
        return 'ack timeout' as const
      },
      () => undefined,
    )
    try {
      const response = await Promise.race([
        fetch(target, { method: 'POST', headers, body, signal: controller.signal }),
        timedOut,
      ])
      if (response === 'ack timeout' || response === undefined)
        return { at, error: 'ack timeout', acknowledged: false }
      await response.body?.cancel()
      return {
        at,
        status: response.status,
        acknowledged: response.status >= 200 && response.status < 300,
      }
    } catch (error) {
      if (controller.signal.aborted) return { at, error: 'ack timeout', acknowledged: false }
      const cause = (error as { cause?: { code?: string } }).cause
      return { at, error: cause?.code ?? String(error), acknowledged: false }
    } finally {
      timer.abort()
    }
  }

  // One delivery: the first attempt, then a retry after each wait of the schedule until acknowledged.
  async function deliver(
    event: WebhookEvent,
    deliveryId: string,
    record: DeliveryAttempt[],
    answered: () => void = () => {},
  ): Promise<void> {
    const body = JSON.stringify(event.payload)
    for (let n = 0; ; n++) {
      const result = await attempt(event, body, deliveryId)
      record.push({ eventId: event.id, deliveryId, attempt: n + 1, ...result })
      if (n === 0) answered()
      const wait = schedule[n]
      if (result.acknowledged || wait === undefined) return
      await clock.sleep(wait / timeScale)
    }
  }

  return {
    /** Delivers every event (and its duplicates) until acknowledged or out of retries. */
    async send(events: readonly WebhookEvent[]): Promise<DeliveryReport> {
      const record: DeliveryAttempt[] = []
      const chains: Promise<void>[] = []
      const deliveryId = (): string => `${random.token(8)}-${random.token(4)}-${random.token(12)}`
      for (const event of options.outOfOrder ? shuffled(events, random) : events) {
        let answered = (): void => {}
        const firstAnswered = new Promise<void>((resolve) => (answered = resolve))
        chains.push(deliver(event, deliveryId(), record, answered))
        // A concurrent redelivery arrives while the first attempt is still in flight.
        if (options.concurrentRedelivery && duplicates > 0)
          chains.push(deliver(event, deliveryId(), record))
        // In order: the next event goes out once this one's first attempt was answered.
        await firstAnswered
        const later = duplicates - (options.concurrentRedelivery && duplicates > 0 ? 1 : 0)
        for (let i = 0; i < later; i++) chains.push(deliver(event, deliveryId(), record))
      }
      await Promise.all(chains)
      const acked = new Set(record.filter((a) => a.acknowledged).map((a) => a.eventId))
      return {
        attempts: record,
        acknowledged: events.map((e) => e.id).filter((id) => acked.has(id)),
        unacknowledged: events.map((e) => e.id).filter((id) => !acked.has(id)),
      }
    },
  }
}

export type WebhookSender = ReturnType<typeof createWebhookSender>
