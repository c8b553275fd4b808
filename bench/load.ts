import { performance } from 'node:perf_hooks'
import { percentile } from './harness.js'

/** `concurrency` callers run `call` back to back until `ops` calls are done; returns ops/s and p99. */
export async function closedLoop(
  ops: number,
  concurrency: number,
  call: () => Promise<unknown>,
): Promise<{ opsPerSec: number; p99Ms: number }> {
  const latencies: number[] = []
  let left = ops
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t = performance.now()
        await call()
        latencies.push(performance.now() - t)
      }
    }),
  )
  return {
    opsPerSec: ops / ((performance.now() - start) / 1_000),
    p99Ms: percentile(latencies, 99),
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
