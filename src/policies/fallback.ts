import { createEmitter, type Events } from '../events/index.js'
import type { Work } from './policy.js'

/** What to answer instead of failing: a fixed value, or one made from the error. */
export type FallbackOptions<F> = ({ value: F } | { to: (error: unknown) => F | Promise<F> }) & {
  /** Names the fallback in events. Default `fallback`. */
  name?: string
}

export type FallbackEvents = { fallback: { name: string; reason: string } }

/**
 * A policy whose answer may be the fallback's instead of the work's, hence `T | F`. Put it
 * outermost and call the rest inside it: `fallback(…).execute((s) => policy.execute(work, s))`.
 */
export interface FallbackPolicy<F> {
  execute<T>(work: Work<T>, signal?: AbortSignal): Promise<T | F>
  readonly events: Events<FallbackEvents>
}

const never = new AbortController().signal

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof Error
    ? `threw ${error.name}${typeof code === 'string' ? ` ${code}` : ''}`
    : `threw ${String(error)}`
}

/**
 * Degrades gracefully: when the work throws (and `when` agrees, if given), answers with the
 * fallback instead (cached data, a default, a queued-for-later marker). Never on the caller's
 * own abort: a caller that gave up gets `signal.reason`, not a stand-in answer.
 */
export function fallback<F>(
  options: FallbackOptions<F>,
  when?: (error: unknown) => boolean,
): FallbackPolicy<F> {
  const name = options.name ?? 'fallback'
  const events = createEmitter<FallbackEvents>()
  return {
    events,
    async execute<T>(work: Work<T>, signal: AbortSignal = never): Promise<T | F> {
      signal.throwIfAborted()
      try {
        return await work(signal)
      } catch (error) {
        if (signal.aborted) throw signal.reason
        if (when && !when(error)) throw error
        events.emit('fallback', { name, reason: describe(error) })
        return 'value' in options ? options.value : options.to(error)
      }
    },
  }
}
