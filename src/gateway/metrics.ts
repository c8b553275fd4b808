import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { storeReports } from '../reconcile/index.js'
import type { JobCounts, Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'

/** The gateway's Prometheus metrics, on a registry of its own (several gateways per process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry
  readonly requests: Counter<'method' | 'route' | 'status'>
  readonly webhooksReceived: Counter<'source'>
  readonly webhooksDuplicate: Counter<'source'>
  readonly webhookRejections: Counter<'source' | 'reason'>
  readonly deliveries: Counter<'source' | 'outcome'>
  readonly deliveryAttempts: Counter<'source' | 'status'>
  readonly deliveryRetries: Counter<'source'>
  readonly upstreamAttempts: Counter<'provider' | 'status'>
  readonly upstreamRetries: Counter<'provider'>
  readonly rateLimitWaits: Counter<'subject'>
  readonly rateLimitWaitSeconds: Counter<'subject'>
  readonly circuitState: Gauge<'provider'>
  readonly tokenRefreshes: Counter<'provider' | 'reason' | 'outcome'>
}

/**
 * Labels carry source names, statuses and error codes only, never a secret or an event id
 * (unbounded label values would grow the registry without end).
 */
export function createMetrics(store: Store, clock: Clock): GatewayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'seamline_process_' })
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] })

  // Depths are read from the store when scraped, so every process reports the shared queue;
  // the gauges of one scrape collect together and share one read.
  let reading: Promise<JobCounts> | undefined
  const counts = (): Promise<JobCounts> =>
    (reading ??= store.jobs.counts(null, clock.now()).finally(() => (reading = undefined)))
  new Gauge({
    name: 'seamline_queue_depth',
    help: 'Jobs waiting to run (due now or scheduled) in the store.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { ready, scheduled, running } = await counts()
      this.set({ state: 'ready' }, ready)
      this.set({ state: 'scheduled' }, scheduled)
      this.set({ state: 'running' }, running)
    },
  })
  new Gauge({
    name: 'seamline_queue_lag_seconds',
    help: 'How long the oldest job due now has waited to start (0 when none is due).',
    registers: [registry],
    async collect() {
      const { oldestReadyAt } = await counts()
      this.set(oldestReadyAt === null ? 0 : Math.max(0, clock.now() - oldestReadyAt) / 1_000)
    },
  })
  new Gauge({
    name: 'seamline_reconcile_drift_ratio',
    help: "Each reconciliation's drift rate at its latest run (findings over keys seen).",
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const latest = new Map<string, number>()
      // Newest first: the first report of each name is its latest.
      for (const report of await storeReports(store).list({ limit: 500 })) {
        if (!latest.has(report.name)) latest.set(report.name, report.driftRate)
      }
      this.reset()
      for (const [name, drift] of latest) this.set({ name }, drift)
    },
  })
  new Gauge({
    name: 'seamline_oauth_connections',
    help: 'OAuth connections in the store, by provider and health (healthy, refreshing, degraded, reauth_required).',
    labelNames: ['provider', 'state'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const { provider, state, count } of await store.tokens.countByState())
        this.set({ provider, state }, count)
    },
  })
  new Gauge({
    name: 'seamline_dead_letters',
    help: 'Dead letters in the store (DLQ depth).',
    registers: [registry],
    async collect() {
      this.set((await counts()).dead)
    },
  })

  return {
    registry,
    requests: counter('seamline_http_requests_total', 'HTTP requests answered by the gateway.', [
      'method',
      'route',
      'status',
    ]),
    webhooksReceived: counter(
      'seamline_webhooks_received_total',
      'Webhook events verified and stored for the first time.',
      ['source'],
    ),
    webhooksDuplicate: counter(
      'seamline_webhooks_duplicate_total',
      'Webhook deliveries of events already stored (acknowledged, not stored again).',
      ['source'],
    ),
    webhookRejections: counter(
      'seamline_webhook_verification_failures_total',
      'Webhook deliveries refused before storage, by reason (an error code, or too_large).',
      ['source', 'reason'],
    ),
    deliveries: counter(
      'seamline_deliveries_total',
      'Forwarded events by final outcome: delivered, dead (retries exhausted) or gone (410).',
      ['source', 'outcome'],
    ),
    deliveryAttempts: counter(
      'seamline_delivery_attempts_total',
      "Delivery attempts to destinations, by the destination's status (`none` without an answer).",
      ['source', 'status'],
    ),
    deliveryRetries: counter(
      'seamline_delivery_retries_total',
      'Delivery attempts that failed and were scheduled again.',
      ['source'],
    ),
    upstreamAttempts: counter(
      'seamline_upstream_attempts_total',
      "Proxied call attempts to providers, by the provider's status (`none` without an answer; 429s included).",
      ['provider', 'status'],
    ),
    upstreamRetries: counter(
      'seamline_upstream_retries_total',
      'Proxied call attempts that failed and were retried.',
      ['provider'],
    ),
    rateLimitWaits: counter(
      'seamline_rate_limit_waits_total',
      "Calls that waited for a quota's room, by provider or destination.",
      ['subject'],
    ),
    rateLimitWaitSeconds: counter(
      'seamline_rate_limit_wait_seconds_total',
      "Time calls were told to wait for a quota's room, by provider or destination.",
      ['subject'],
    ),
    tokenRefreshes: counter(
      'seamline_oauth_token_refreshes_total',
      'OAuth token refreshes made by this process, by why they ran (expiry, unauthorized, keep-alive, forced) and outcome (refreshed, or the failure kind).',
      ['provider', 'reason', 'outcome'],
    ),
    circuitState: new Gauge({
      name: 'seamline_circuit_state',
      help: "Each provider's circuit breaker: 0 closed, 1 half-open, 2 open.",
      labelNames: ['provider'],
      registers: [registry],
    }),
  }
}
