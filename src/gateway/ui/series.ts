import type { Registry } from 'prom-client'
import type { Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'

type Labels = Record<string, string | number>

/** One plotted line: a counter's rate, summed over the labels `where` accepts. */
export interface SeriesSpec {
  key: string
  label: string
  metric: string
  where?: (labels: Labels) => boolean
}

const failed = (labels: Labels): boolean => {
  const status = String(labels.status)
  return status === 'none' || Number(status) >= 300
}

/** A metric's value summed over the labels `where` accepts; undefined when it does not exist. */
export async function metricTotal(
  registry: Registry,
  name: string,
  where?: (labels: Labels) => boolean,
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name)
  if (!metric) return undefined
  const { values } = await metric.get()
  return values
    .filter((v) => !where || where(v.labels as Labels))
    .reduce((sum, v) => sum + v.value, 0)
}

/** What the overview plots; a metric this gateway does not have is simply left out. */
export const overviewSeries: readonly SeriesSpec[] = [
  { key: 'received', label: 'events/s', metric: 'seamline_webhooks_received_total' },
  {
    key: 'duplicates',
    label: 'duplicates/s',
    metric: 'seamline_webhooks_duplicate_total',
  },
  {
    key: 'rejected',
    label: 'rejected/s',
    metric: 'seamline_webhook_verification_failures_total',
  },
  {
    key: 'errors',
    label: 'failed deliveries/s',
    metric: 'seamline_delivery_attempts_total',
    where: failed,
  },
  {
    key: 'throttled',
    label: 'destination 429s/s',
    metric: 'seamline_delivery_attempts_total',
    where: (labels) => String(labels.status) === '429',
  },
  {
    key: 'upstream-retries',
    label: 'provider call retries/s',
    metric: 'seamline_upstream_retries_total',
  },
  {
    key: 'upstream429',
    label: 'provider 429s/s',
    metric: 'seamline_upstream_attempts_total',
    where: (labels) => String(labels.status) === '429',
  },
  {
    key: 'waits',
    label: 'rate-limit wait s/s',
    metric: 'seamline_rate_limit_wait_seconds_total',
  },
  {
    key: 'token-refreshes',
    label: 'token refreshes/s',
    metric: 'seamline_oauth_token_refreshes_total',
    where: (labels) => labels.outcome === 'refreshed',
  },
]

export interface SeriesSnapshot {
  /** Seconds since the epoch, one per sample. */
  times: number[]
  lines: { key: string; label: string; values: (number | null)[] }[]
  deadLetters: (number | null)[]
  ready: (number | null)[]
}

/** Runs `run` now, then `ms` after each run ends, until stopped; a failed run is skipped. */
function repeat(clock: Clock, ms: number, run: () => Promise<void>): { stop(): void } {
  let stopped = false
  let cancel: (() => void) | undefined
  const tick = (): void => {
    cancel = clock.after(ms, () => {
      void run()
        .catch(() => undefined)
        .then(() => {
          if (!stopped) tick()
        })
    })
  }
  void run().catch(() => undefined)
  tick()
  return {
    stop: () => {
      stopped = true
      cancel?.()
    },
  }
}

/**
 * Samples the gateway's own metrics and the queue's depths every `sampleMs` into a ring of
 * `points`, so the overview plots the last while without a time-series database. Each process
 * plots what it saw; depths come from the shared store.
 */
export function createSeries(options: {
  registry: Registry
  store: Store
  clock: Clock
  sampleMs?: number
  points?: number
}) {
  const { registry, store, clock } = options
  const sampleMs = options.sampleMs ?? 5_000
  const points = options.points ?? 720
  const times: number[] = []
  const values = new Map<string, (number | null)[]>(overviewSeries.map((s) => [s.key, []]))
  const deadLetters: (number | null)[] = []
  const ready: (number | null)[] = []
  const last = new Map<string, number>()
  let lastAt: number | undefined

  const total = (spec: SeriesSpec) => metricTotal(registry, spec.metric, spec.where)

  const push = <T>(ring: T[], value: T): void => {
    ring.push(value)
    if (ring.length > points) ring.shift()
  }

  async function sample(): Promise<void> {
    const now = clock.now()
    const seconds = lastAt === undefined ? undefined : (now - lastAt) / 1_000
    for (const spec of overviewSeries) {
      const current = await total(spec)
      const before = last.get(spec.key)
      if (current !== undefined) last.set(spec.key, current)
      const value =
        current === undefined || before === undefined || !seconds
          ? null
          : Math.max(0, current - before) / seconds
      push(values.get(spec.key) as (number | null)[], value)
    }
    const counts = await store.jobs.counts(null, now).catch(() => undefined)
    push(deadLetters, counts?.dead ?? null)
    push(ready, counts?.ready ?? null)
    push(times, now / 1_000)
    lastAt = now
  }

  let timer: { stop(): void } | undefined
  return {
    sample,
    start(): void {
      timer ??= repeat(clock, sampleMs, sample)
    },
    stop(): void {
      timer?.stop()
      timer = undefined
    },
    snapshot(): SeriesSnapshot {
      return {
        times: [...times],
        lines: overviewSeries
          .filter((spec) => registry.getSingleMetric(spec.metric) !== undefined)
          .map((spec) => ({
            key: spec.key,
            label: spec.label,
            values: [...(values.get(spec.key) ?? [])],
          })),
        deadLetters: [...deadLetters],
        ready: [...ready],
      }
    },
  }
}

export type Series = ReturnType<typeof createSeries>
