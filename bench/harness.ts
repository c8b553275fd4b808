import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'

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
  /** Operations one run performs; throughput is reported as ops/s. */
  ops: number
  /** Runs `ops` operations once. The key `seamline` is the subject; every other key is a peer. */
  subjects: Record<string, (ops: number) => Promise<void>>
  /** Runs once before the first subject (start servers) and once after the last. */
  setup?: () => Promise<void>
  teardown?: () => Promise<void>
}

export interface SubjectResult {
  subject: string
  /** ops/s of each repetition, in run order. */
  rates: number[]
  /** Seamline's rate ÷ this subject's rate, paired per repetition (absent for Seamline). */
  ratios?: number[]
}

export interface BenchmarkResult {
  benchmark: Benchmark
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

const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.()

async function timed(run: (ops: number) => Promise<void>, ops: number): Promise<number> {
  collectGarbage()
  const start = performance.now()
  await run(ops)
  return ops / ((performance.now() - start) / 1_000)
}

/**
 * Runs every subject once to warm up, then `repetitions` rounds; each round runs every subject
 * once, rotating the order so no subject always goes first (or last, after the others' garbage).
 */
export async function runBenchmark(
  benchmark: Benchmark,
  options: { repetitions: number; scale: number },
): Promise<BenchmarkResult> {
  const ops = Math.max(1, Math.round(benchmark.ops * options.scale))
  const names = Object.keys(benchmark.subjects)
  if (names[0] !== 'seamline')
    throw new Error(`${benchmark.name}: the first subject must be seamline`)
  const rates = new Map(names.map((n) => [n, [] as number[]]))
  await benchmark.setup?.()
  try {
    for (const name of names) await timed(benchmark.subjects[name]!, ops)
    for (let round = 0; round < options.repetitions; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!)
      for (const name of order) rates.get(name)!.push(await timed(benchmark.subjects[name]!, ops))
    }
  } finally {
    await benchmark.teardown?.()
  }
  const ours = rates.get('seamline')!
  return {
    benchmark: { ...benchmark, ops },
    repetitions: options.repetitions,
    results: names.map((subject) => {
      const r = rates.get(subject)!
      return subject === 'seamline'
        ? { subject, rates: r }
        : { subject, rates: r, ratios: r.map((v, i) => ours[i]! / v) }
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
