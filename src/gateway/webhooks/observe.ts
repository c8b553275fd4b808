import type { FastifyBaseLogger } from 'fastify'
import type { Registry } from 'prom-client'
import type { Events } from '../../events/index.js'
import type { Jobs } from '../../jobs/index.js'
import type { WebhookInbox } from '../../webhooks/index.js'
import { counter, latency } from '../metrics.js'
import type { DeliveryEvents } from './forwarder.js'

function webhookMetrics(registry: Registry) {
  return {
    received: counter(
      registry,
      'seamline_webhooks_received_total',
      'Webhook events verified and stored for the first time.',
      ['source'],
    ),
    duplicate: counter(
      registry,
      'seamline_webhooks_duplicate_total',
      'Webhook deliveries of events already stored (acknowledged, not stored again).',
      ['source'],
    ),
    rejections: counter(
      registry,
      'seamline_webhook_verification_failures_total',
      'Webhook deliveries refused before storage, by reason (an error code, or too_large).',
      ['source', 'reason'],
    ),
    deliveries: counter(
      registry,
      'seamline_deliveries_total',
      'Forwarded events by final outcome: delivered, dead (retries exhausted) or gone (410).',
      ['source', 'outcome'],
    ),
    attempts: counter(
      registry,
      'seamline_delivery_attempts_total',
      "Delivery attempts to destinations, by the destination's status (`none` without an answer).",
      ['source', 'status'],
    ),
    retries: counter(
      registry,
      'seamline_delivery_retries_total',
      'Delivery attempts that failed and were scheduled again.',
      ['source'],
    ),
    deliverySeconds: latency(
      registry,
      'seamline_delivery_seconds',
      "Delivery attempts' time, by source (its destination) and outcome: delivered, failed or gone.",
      ['source', 'outcome'],
    ),
  }
}

/** Counts and logs what the inbox receives and what the forwarders deliver. */
export function observeWebhooks(
  log: FastifyBaseLogger,
  registry: Registry,
  on: { inbox: WebhookInbox; deliveries: Events<DeliveryEvents>; jobs: Jobs; sources: string[] },
): void {
  const metrics = webhookMetrics(registry)
  const { inbox, deliveries, jobs } = on
  inbox.events.on('webhook:received', ({ source, id, type }) => {
    metrics.received.inc({ source })
    log.info({ source, eventId: id, type }, 'webhook received')
  })
  inbox.events.on('webhook:duplicate', ({ source, id }) => {
    metrics.duplicate.inc({ source })
    log.info({ source, eventId: id }, 'webhook duplicate acknowledged')
  })
  inbox.events.on('webhook:rejected', ({ source, reason }) => {
    metrics.rejections.inc({ source, reason })
    log.warn({ source, reason }, 'webhook rejected')
  })
  inbox.events.on('webhook:store-failed', ({ source, error }) => {
    log.error({ source, err: error }, 'webhook could not be stored')
  })
  deliveries.on('delivery:attempt', ({ source, eventId, attempt, status, outcome, durationMs }) => {
    metrics.attempts.inc({ source, status: status === undefined ? 'none' : String(status) })
    metrics.deliverySeconds.observe({ source, outcome }, durationMs / 1_000)
    if (outcome !== 'failed') metrics.deliveries.inc({ source, outcome })
    log.info({ source, eventId, attempt, status }, `delivery ${outcome}`)
  })

  // A source's deliveries run as the jobs `webhook:<source>`.
  const sources = new Set(on.sources)
  const sourceOfJob = (job: string): string | undefined => {
    const name = job.startsWith('webhook:') ? job.slice('webhook:'.length) : undefined
    return name !== undefined && sources.has(name) ? name : undefined
  }
  jobs.events.on('job:failed', ({ name }) => {
    const source = sourceOfJob(name)
    if (source !== undefined) metrics.retries.inc({ source })
  })
  jobs.events.on('job:dead', ({ name, reason }) => {
    const source = sourceOfJob(name)
    if (source !== undefined && reason !== 'permanent') {
      metrics.deliveries.inc({ source, outcome: 'dead' })
    }
  })
}
