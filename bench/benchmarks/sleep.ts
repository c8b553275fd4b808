import { getEventListeners } from 'node:events'
import { setTimeout as nodeSleep } from 'node:timers/promises'
import delay from 'delay'
import { systemClock } from '../seamline.js'
import type { Benchmark } from '../harness.js'

const swallow = (): void => {}

// Fails the run when a subject leaves listeners behind: fast but leaking would not count.
const assertNoListeners = (signal: AbortSignal): void => {
  const left = getEventListeners(signal, 'abort').length
  if (left > 0) throw new Error(`${left} abort listeners left on the signal`)
}

// Every retry wait in Seamline is a Clock sleep tied to the caller's signal; a worker shutting
// down aborts all of them at once through one long-lived signal.
const sharedSignalAbort: Benchmark = {
  name: 'Abortable sleep: cancel many waits through one signal',
  what: 'Time to start N pending sleeps that all listen to one shared AbortSignal, then abort it and wait until every sleep has rejected.',
  how: "N sleeps of 60 s each are created with the same signal (as a worker's retry waits share its shutdown signal), the signal is aborted, and all rejections are awaited. Peers: `delay` and Node's `timers/promises` `setTimeout`, both given the signal.",
  ops: 10_000,
  subjects: {
    seamline: async (n) => {
      const controller = new AbortController()
      const waits = Array.from({ length: n }, () =>
        systemClock.sleep(60_000, controller.signal).catch(swallow),
      )
      controller.abort()
      await Promise.all(waits)
    },
    delay: async (n) => {
      const controller = new AbortController()
      const waits = Array.from({ length: n }, () =>
        delay(60_000, { signal: controller.signal }).catch(swallow),
      )
      controller.abort()
      await Promise.all(waits)
    },
    'node:timers/promises': async (n) => {
      const controller = new AbortController()
      const waits = Array.from({ length: n }, () =>
        nodeSleep(60_000, undefined, { signal: controller.signal }).catch(swallow),
      )
      controller.abort()
      await Promise.all(waits)
    },
  },
}

const sharedSignalComplete: Benchmark = {
  name: 'Abortable sleep: waits that run to completion',
  what: 'Throughput of zero-length sleeps that each listen to one long-lived AbortSignal and finish normally (the common case for a retry wait).',
  how: 'N sleeps of 0 ms each are started at once with the same never-aborted signal and all are awaited; every sleep must leave the signal with no listener. Peers as above.',
  ops: 10_000,
  subjects: {
    seamline: async (n) => {
      const { signal } = new AbortController()
      await Promise.all(Array.from({ length: n }, () => systemClock.sleep(0, signal)))
      assertNoListeners(signal)
    },
    delay: async (n) => {
      const { signal } = new AbortController()
      await Promise.all(Array.from({ length: n }, () => delay(0, { signal })))
      assertNoListeners(signal)
    },
    'node:timers/promises': async (n) => {
      const { signal } = new AbortController()
      await Promise.all(Array.from({ length: n }, () => nodeSleep(0, undefined, { signal })))
      assertNoListeners(signal)
    },
  },
}

const noSignal: Benchmark = {
  name: 'Sleep without a signal',
  what: 'Throughput of zero-length sleeps given no AbortSignal: the bare cost of the wait itself.',
  how: 'N sleeps of 0 ms each are started at once and all are awaited. Peers as above.',
  ops: 100_000,
  subjects: {
    seamline: async (n) => {
      await Promise.all(Array.from({ length: n }, () => systemClock.sleep(0)))
    },
    delay: async (n) => {
      await Promise.all(Array.from({ length: n }, () => delay(0)))
    },
    'node:timers/promises': async (n) => {
      await Promise.all(Array.from({ length: n }, () => nodeSleep(0)))
    },
  },
}

export default [sharedSignalAbort, sharedSignalComplete, noSignal]
