import { EventEmitter } from 'node:events'
import type { DeadlineScope } from '../policies/index.js'
import { watchAbort, type Clock } from '../time/index.js'

/**
 * Ends one attempt the way an AbortSignal would, for the undici transport only: undici takes an
 * EventEmitter with `aborted` and `reason` as a signal, and one costs a fraction of an
 * AbortController and the EventTarget listener undici would add to it (a third of the
 * throughput of a small request on loopback).
 */
class AttemptAbort extends EventEmitter {
  aborted = false
  reason: unknown = undefined

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }
}

const ignore = (): void => undefined

/** Like `scopeDeadline`, with an `AttemptAbort` in place of the signal. */
export function attemptAbort(
  parent: AbortSignal | undefined,
  at: number,
  clock: Clock,
  reason: () => unknown,
): DeadlineScope {
  const handle = new AttemptAbort()
  let reject: (why: unknown) => void = ignore
  const stopped = new Promise<never>((_, r) => (reject = r))
  stopped.catch(ignore)
  const abort = (why: unknown): void => {
    handle.abort(why)
    reject(why)
  }
  const cancel = clock.after(Math.max(0, at - clock.now()), () => abort(reason()))
  if (parent?.aborted) abort(parent.reason)
  const unwatch =
    parent && !parent.aborted ? watchAbort(parent, () => abort(parent.reason)) : undefined
  return {
    // The undici transport is the only one given this; it passes it on to undici as is.
    signal: handle as unknown as AbortSignal,
    stopped,
    dispose: () => {
      cancel()
      unwatch?.()
    },
  }
}
