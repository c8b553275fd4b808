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
  /** Stops the timer and the parent link; call when the work is over. */
  dispose(): void
}

/**
 * A child of `parent` that also aborts with `reason()` at `at` (or the parent's own deadline,
 * whichever is sooner), carrying that deadline for policies further in.
 */
export function scopeDeadline(
  parent: AbortSignal | undefined,
  at: number,
  clock: Clock,
  reason: () => unknown,
): DeadlineScope {
  const controller = new AbortController()
  const inherited = deadlineOf(parent)
  const effective = inherited === undefined ? at : Math.min(at, inherited)
  deadlines.set(controller.signal, effective)
  const timer = new AbortController()
  void clock.sleep(Math.max(0, effective - clock.now()), timer.signal).then(
    () => controller.abort(reason()),
    () => undefined,
  )
  if (parent?.aborted) controller.abort(parent.reason)
  const unwatch =
    parent && !parent.aborted
      ? watchAbort(parent, () => controller.abort(parent.reason))
      : undefined
  return {
    signal: controller.signal,
    dispose: () => {
      timer.abort()
      unwatch?.()
    },
  }
}
