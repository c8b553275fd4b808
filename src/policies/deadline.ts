import { watchAbort, type Clock } from '../time/index.js'

// The deadline a signal carries, so inner policies (a retry deciding whether to wait) see the
// deadline an outer one set. Kept beside the signal, not on it, as gRPC propagates deadlines.
const deadlines = new WeakMap<AbortSignal, number>()

/** The epoch ms by which work under `signal` must end, if a policy set one. */
export function deadlineOf(signal: AbortSignal | undefined): number | undefined {
  return signal === undefined ? undefined : deadlines.get(signal)
}

/** Milliseconds left before `signal`'s deadline (Infinity when it has none). */
export function remainingMs(signal: AbortSignal | undefined, clock: Clock): number {
  const at = deadlineOf(signal)
  return at === undefined ? Infinity : Math.max(0, at - clock.now())
}

export interface DeadlineScope {
  readonly signal: AbortSignal
  /**
   * Rejects with the abort reason as soon as the scope aborts (its deadline or its parent);
   * never resolves. Race work against it to stop waiting for work that ignores its signal.
   */
  readonly stopped: Promise<never>
  /**
   * Settles as `work` does, or rejects with the abort reason as soon as the scope aborts:
   * `Promise.race([work, stopped])` for less, and `stopped` is then never made.
   */
  bound<T>(work: Promise<T>): Promise<T>
  /** Stops the timer (if any) and the parent link; call when the work is over. */
  dispose(): void
}

const ignore = (): void => undefined

/** What a scope aborts: an AbortController, or anything shaped like one. */
export interface Abortable {
  readonly signal: AbortSignal
  abort(reason: unknown): void
}

// A class, not an object literal: a getter on a literal makes each scope cost several times more.
class Scope implements DeadlineScope {
  readonly signal: AbortSignal
  #controller: Abortable
  // What waits on the scope is rejected from the two places that abort, so no listener is
  // needed on the fresh signal.
  #waiting: ((why: unknown) => void)[] | undefined
  #ended: { why: unknown } | undefined
  #stopped: Promise<never> | undefined
  #cancel: (() => void) | undefined
  #unwatch: (() => void) | undefined

  constructor(
    controller: Abortable,
    parent: AbortSignal | undefined,
    at: number,
    clock: Clock,
    reason: (() => unknown) | undefined,
  ) {
    this.#controller = controller
    this.signal = controller.signal
    if (reason)
      this.#cancel = clock.after(Math.max(0, at - clock.now()), () => this.#abort(reason()))
    if (parent?.aborted) this.#abort(parent.reason)
    else if (parent) this.#unwatch = watchAbort(parent, () => this.#abort(parent.reason))
  }

  get stopped(): Promise<never> {
    if (!this.#stopped) {
      this.#stopped = this.bound(new Promise<never>(ignore))
      this.#stopped.catch(ignore)
    }
    return this.#stopped
  }

  bound<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      work.then(resolve, reject)
      // Ended with whatever the scope was aborted with, as `stopped` would reject.
      const stop: (why: unknown) => void = reject
      if (this.#ended) stop(this.#ended.why)
      else (this.#waiting ??= []).push(stop)
    })
  }

  dispose(): void {
    this.#cancel?.()
    this.#unwatch?.()
  }

  #abort(why: unknown): void {
    this.#controller.abort(why)
    this.#ended ??= { why }
    for (const reject of this.#waiting?.splice(0) ?? []) reject(why)
  }
}

/**
 * A child of `parent` that carries the deadline `at` (or the parent's own, whichever is
 * sooner) and aborts with the parent. With `reason`, it also aborts with `reason()` when the
 * deadline comes; without, it only marks the deadline, for callers that bound every wait and
 * every attempt by it themselves (one timer per attempt instead of one more per call).
 * `controller` is what it aborts (default a new AbortController).
 */
export function scopeDeadline(
  parent: AbortSignal | undefined,
  at: number,
  clock: Clock,
  reason?: () => unknown,
  controller: Abortable = new AbortController(),
): DeadlineScope {
  const inherited = deadlineOf(parent)
  const effective = inherited === undefined ? at : Math.min(at, inherited)
  // A stand-in signal (undici's attempt abort) is given to no policy that could look for it.
  if (controller.signal instanceof AbortSignal) deadlines.set(controller.signal, effective)
  return new Scope(controller, parent, effective, clock, reason)
}
