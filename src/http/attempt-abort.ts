import { EventEmitter } from 'node:events'
import type { Abortable } from '../policies/index.js'

/**
 * Ends one attempt the way an AbortController would, for the undici transport only: undici takes
 * an EventEmitter with `aborted` and `reason` as a signal, and one costs a fraction of an
 * AbortController and the EventTarget listener undici would add to it (a third of the
 * throughput of a small request on loopback).
 */
class AttemptAbort extends EventEmitter implements Abortable {
  aborted = false
  reason: unknown = undefined

  // The undici transport is the only one given this; it passes it on to undici as is.
  get signal(): AbortSignal {
    return this as unknown as AbortSignal
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }
}

/** An `Abortable` for `scopeDeadline` that undici takes in place of an AbortController. */
export const attemptAbort = (): Abortable => new AttemptAbort()
