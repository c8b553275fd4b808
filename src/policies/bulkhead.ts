import { SeamlineError } from '../errors/index.js'
import { createEmitter } from '../events/index.js'
import { watchAbort } from '../time/index.js'
import { BulkheadFullError } from './errors.js'
import type { Policy, Work } from './policy.js'

export interface BulkheadOptions {
  /** Executions allowed at once. */
  maxConcurrent: number
  /** Calls allowed to wait for a slot, first in first out; beyond them calls are refused. Default 0. */
  maxQueue?: number
  /** Names the bulkhead in errors and events. Default `bulkhead`. */
  name?: string
}

export type BulkheadEvents = {
  'bulkhead:rejected': { name: string; running: number; queued: number }
  'bulkhead:queued': { name: string; queued: number }
}

export interface Bulkhead extends Policy<BulkheadEvents> {
  readonly name: string
  /** Executions running now. */
  readonly running: number
  /** Calls waiting for a slot now. */
  readonly queued: number
}

const never = new AbortController().signal

function check(target: string, value: number, least: number): void {
  if (!((Number.isInteger(value) || value === Infinity) && value >= least)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'bulkhead',
      target,
      reason: `must be a whole number >= ${least} or Infinity (got ${String(value)})`,
    })
  }
}

/**
 * Caps how many calls run at once, so one slow provider cannot tie up every connection, worker
 * or socket of the app. Extra calls queue up to `maxQueue` and are refused past it, at once,
 * with `BulkheadFullError`. A queued call whose signal aborts leaves the queue at once.
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  const { maxConcurrent, maxQueue = 0, name = 'bulkhead' } = options
  check('maxConcurrent', maxConcurrent, 1)
  check('maxQueue', maxQueue, 0)
  const events = createEmitter<BulkheadEvents>()
  // A Set keeps insertion order (first in, first out) and lets an aborted waiter leave in O(1).
  const queue = new Set<() => void>()
  let running = 0

  // A finished call hands its slot straight to the first waiter, so none can jump the queue.
  function release(): void {
    const next = queue.values().next()
    if (next.done) running--
    else {
      queue.delete(next.value)
      next.value()
    }
  }

  function slot(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const admit = (): void => {
        unwatch()
        resolve()
      }
      const unwatch = watchAbort(signal, () => {
        queue.delete(admit)
        reject(signal.reason)
      })
      queue.add(admit)
      events.emit('bulkhead:queued', { name, queued: queue.size })
    })
  }

  async function execute<T>(work: Work<T>, signal: AbortSignal = never): Promise<T> {
    signal.throwIfAborted()
    if (running < maxConcurrent && queue.size === 0) running++
    else if (queue.size < maxQueue) await slot(signal)
    else {
      events.emit('bulkhead:rejected', { name, running, queued: queue.size })
      const queueing = maxQueue === 0 ? 'it queues none' : `all ${maxQueue} queue places are taken`
      throw new BulkheadFullError({
        operation: 'run',
        target: name,
        reason: `refused: all ${maxConcurrent} slots are busy and ${queueing}`,
      })
    }
    try {
      return await work(signal)
    } finally {
      release()
    }
  }

  return {
    name,
    events,
    execute,
    get running() {
      return running
    },
    get queued() {
      return queue.size
    },
  }
}
