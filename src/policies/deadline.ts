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
  /** Stops the timer (if any) and the parent link; call when the work is over. */
  dispose(): void
}

/**
 * A child of `parent` that carries the deadline `at` (or the parent's own, whichever is
 * sooner) and aborts with the parent. With `reason`, it also aborts with `reason()` when the
 * deadline comes; without, it only marks the deadline, for callers that bound every wait and
 * every attempt by it themselves (one timer per attempt instead of one more per call).
 */
export function scopeDeadline(
  parent: AbortSignal | undefined,
  at: number,
  clock: Clock,
  reason?: () => unknown,
): DeadlineScope {
  const controller = new AbortController()
  const inherited = deadlineOf(parent)
  const effective = inherited === undefined ? at : Math.min(at, inherited)
  deadlines.set(controller.signal, effective)
  const cancel = reason
    ? clock.after(Math.max(0, effective - clock.now()), () => controller.abort(reason()))
    : undefined
  if (parent?.aborted) controller.abort(parent.reason)
  const unwatch =
    parent && !parent.aborted
      ? watchAbort(parent, () => controller.abort(parent.reason))
      : undefined
  return {
    signal: controller.signal,
    dispose: () => {
      cancel?.()
      unwatch?.()
    },
  }
}
