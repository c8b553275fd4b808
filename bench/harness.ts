import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'

/** Something a run measures. Ratios are oriented so that above 1× means Seamline did better. */
export interface Metric {
  key: string
  label: string
  better: 'higher' | 'lower'
}

/** Throughput, computed from each run's wall time when a subject reports nothing else. */
export const opsPerSecond: Metric = { key: 'opsPerSec', label: 'ops/s', better: 'higher' }

/** One side-by-side comparison: the same work done by Seamline and by each peer. */
export interface Benchmark {
  /** Short title, used as the section heading. */
  name: string
  /** What is measured, in one or two sentences. */
  what: string
  /** How: workload size, concurrency, what is awaited. */
  how: string
  /** Durability mode for anything that writes (e.g. `synchronous=FULL`); omit when nothing is stored. */
  durability?: string
  /** Operations one run performs. */
  ops: number
  /** Rounds, when a scenario is too long for the default (never fewer than 5). */
  repetitions?: number
  /** What each run reports; the first is the one ratios are given for. Default: ops/s. */
  metrics?: readonly Metric[]
  /**
   * Runs `ops` operations once and returns its metrics (ops/s is filled in from the wall time
   * when not returned). The key `seamline` is the subject; every other key is a peer.
   */
  subjects: Record<string, (ops: number) => Promise<void | Record<string, number>>>
  /** Runs once before the first subject (start servers) and once after the last. */
  setup?: () => Promise<void>
  teardown?: () => Promise<void>
}

export interface SubjectResult {
  subject: string
  /** Each metric's value per repetition, in run order. */
  values: Record<string, number[]>
  /** How many times better Seamline did on the first metric, paired per repetition (absent for Seamline). */
  ratios?: number[]
}

export interface BenchmarkResult {
  benchmark: Benchmark
  metrics: readonly Metric[]
  repetitions: number
  results: SubjectResult[]
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

/** A full collection when the process runs with `--expose-gc`, so that none falls inside a timed phase. */
export const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.()

async function measured(
  run: Benchmark['subjects'][string],
  ops: number,
): Promise<Record<string, number>> {
  collectGarbage()
  const start = performance.now()
  const reported = (await run(ops)) ?? {}
  return { opsPerSec: ops / ((performance.now() - start) / 1_000), ...reported }
}

const better = (metric: Metric, ours: number, theirs: number): number =>
  metric.better === 'higher' ? ours / theirs : theirs / ours

/**
 * Runs every subject once to warm up, then `repetitions` rounds; each round runs every subject
 * once, rotating the order so no subject always goes first (or last, after the others' garbage).
 */
export async function runBenchmark(
  benchmark: Benchmark,
  options: { repetitions: number; scale: number; subjects?: readonly string[] },
): Promise<BenchmarkResult> {
  const ops = Math.max(1, Math.round(benchmark.ops * options.scale))
  const metrics = benchmark.metrics ?? [opsPerSecond]
  // Seamline always runs: every ratio is taken against it.
  const names = Object.keys(benchmark.subjects).filter(
    (name, i) => i === 0 || !options.subjects || options.subjects.includes(name),
  )
  if (names[0] !== 'seamline') {
    throw new Error(`${benchmark.name}: the first subject must be seamline`)
  }
  const runs = new Map(names.map((n) => [n, [] as Record<string, number>[]]))
  await benchmark.setup?.()
  try {
    for (const name of names) await measured(benchmark.subjects[name]!, ops)
    const rounds = Math.min(options.repetitions, benchmark.repetitions ?? options.repetitions)
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!)
      for (const name of order) runs.get(name)!.push(await measured(benchmark.subjects[name]!, ops))
    }
  } finally {
    await benchmark.teardown?.()
  }
  const primary = metrics[0]!
  const ours = runs.get('seamline')!
  return {
    benchmark: { ...benchmark, ops },
    metrics,
    repetitions: Math.min(options.repetitions, benchmark.repetitions ?? options.repetitions),
    results: names.map((subject) => {
      const mine = runs.get(subject)!
      const values = Object.fromEntries(
        metrics.map((m) => [m.key, mine.map((r) => r[m.key] ?? NaN)]),
      )
      if (subject === 'seamline') return { subject, values }
      const ratios = mine.map((r, i) => better(primary, ours[i]![primary.key]!, r[primary.key]!))
      return { subject, values, ratios }
    }),
  }
}

export function machine(): string {
  const cpu = cpus()
  return [
    `CPU: ${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} cores`,
    `memory: ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Node.js ${process.version} on ${process.platform}-${process.arch}`,
  ].join('; ')
}
