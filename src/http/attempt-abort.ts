import type { Abortable } from '../policies/index.js'

type Listener = () => void

/**
 * Ends one attempt the way an AbortController would, for the undici transport only: undici takes
 * anything with `aborted`, `reason` and the two listener methods as a signal, and this costs a
 * fraction of an AbortController and the EventTarget listener undici would add to it (a third
 * of the throughput of a small request on loopback), or of an EventEmitter's `once`.
 */
class AttemptAbort implements Abortable {
  aborted = false
  reason: unknown = undefined
  // undici adds one listener per request, and removes it when the response is over.
  #listeners: Listener[] = []

  // The undici transport is the only one given this; it passes it on to undici as is.
  get signal(): AbortSignal {
    return this as unknown as AbortSignal
  }

  addEventListener(_type: 'abort', listener: Listener): void {
    this.#listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    // Shifted down in place: splice would make an array of the removed one on every request.
    const listeners = this.#listeners
    const at = listeners.indexOf(listener)
    if (at < 0) return
    for (let i = at; i < listeners.length - 1; i++) listeners[i] = listeners[i + 1]!
    listeners.pop()
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    for (const listener of this.#listeners.splice(0)) listener()
  }
}

/** An `Abortable` for `scopeDeadline` that undici takes in place of an AbortController. */
export const attemptAbort = (): Abortable => new AttemptAbort()
