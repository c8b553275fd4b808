import { expect } from 'vitest'
import type { NewJob, Store } from '../../src/stores/index.js'

/** Enqueues two due jobs and one scheduled, and checks the store's counts of them at 1,000. */
export async function expectCountsOfThreeJobs(store: Store): Promise<void> {
  const job = (runAt: number): NewJob => ({
    name: 'counted',
    payload: null,
    runAt,
    priority: 0,
    maxAttempts: 1,
    maxRescues: 0,
  })
  await store.jobs.enqueue([job(500), job(700), job(5_000)], 0)
  expect(await store.jobs.counts(null, 1_000)).toEqual({
    ready: 2,
    scheduled: 1,
    running: 0,
    dead: 0,
    oldestReadyAt: 500,
  })
  expect((await store.jobs.counts(['other'], 1_000)).ready).toBe(0)
}
