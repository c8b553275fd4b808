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
  /** Stops the timer (if any) and the parent link; call when the work is over. */
  dispose(): void
}

const ignore = (): void => undefined

/** What a scope aborts: an AbortController, or anything shaped like one. */
export interface Abortable {
  readonly signal: AbortSignal
  abort(reason: unknown): void
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
  deadlines.set(controller.signal, effective)
  // Settled from the two places that abort, so no listener is needed on the fresh signal.
  let reject: (reason: unknown) => void = ignore
  const stopped = new Promise<never>((_, r) => (reject = r))
  stopped.catch(ignore)
  const abort = (why: unknown): void => {
    controller.abort(why)
    reject(why)
  }
  const cancel = reason
    ? clock.after(Math.max(0, effective - clock.now()), () => abort(reason()))
    : undefined
  if (parent?.aborted) abort(parent.reason)
  const unwatch =
    parent && !parent.aborted ? watchAbort(parent, () => abort(parent.reason)) : undefined
  return {
    signal: controller.signal,
    stopped,
    dispose: () => {
      cancel?.()
      unwatch?.()
    },
  }
}
