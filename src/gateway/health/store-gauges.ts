import type { Registry } from 'prom-client'
import { storeReports } from '../../reconcile/index.js'
import type { JobCounts, Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'
import { gauge } from '../metrics.js'

/**
 * Gauges read from the store when scraped, so every process reports the shared queue; the
 * gauges of one scrape collect together and share one read of the job counts.
 */
export function storeGauges(registry: Registry, store: Store, clock: Clock): void {
  let reading: Promise<JobCounts> | undefined
  const counts = (): Promise<JobCounts> =>
    (reading ??= store.jobs.counts(null, clock.now()).finally(() => (reading = undefined)))
  gauge(
    registry,
    'seamline_queue_depth',
    'Jobs waiting to run (due now or scheduled) in the store.',
    ['state'],
    async function () {
      const { ready, scheduled, running } = await counts()
      this.set({ state: 'ready' }, ready)
      this.set({ state: 'scheduled' }, scheduled)
      this.set({ state: 'running' }, running)
    },
  )
  gauge(
    registry,
    'seamline_queue_lag_seconds',
    'How long the oldest job due now has waited to start (0 when none is due).',
    [],
    async function () {
      const { oldestReadyAt } = await counts()
      this.set(oldestReadyAt === null ? 0 : Math.max(0, clock.now() - oldestReadyAt) / 1_000)
    },
  )
  gauge(
    registry,
    'seamline_reconcile_drift_ratio',
    "Each reconciliation's drift rate at its latest run (findings over keys seen).",
    ['name'],
    async function () {
      const latest = new Map<string, number>()
      // Newest first: the first report of each name is its latest.
      for (const report of await storeReports(store).list({ limit: 500 })) {
        if (!latest.has(report.name)) latest.set(report.name, report.driftRate)
      }
      this.reset()
      for (const [name, drift] of latest) this.set({ name }, drift)
    },
  )
  gauge(
    registry,
    'seamline_oauth_connections',
    'OAuth connections in the store, by provider and health (healthy, refreshing, degraded, reauth_required).',
    ['provider', 'state'],
    async function () {
      this.reset()
      for (const { provider, state, count } of await store.tokens.countByState())
        this.set({ provider, state }, count)
    },
  )
  gauge(
    registry,
    'seamline_dead_letters',
    'Dead letters in the store (DLQ depth).',
    [],
    async function () {
      this.set((await counts()).dead)
    },
  )
}
