import { SeamlineError } from '../errors/index.js'
import { createEmitter } from '../events/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { backoff as defaultBackoff, type Backoff } from './backoff.js'
import type { RetryBudget } from './budget.js'
import { remainingMs } from './deadline.js'
import { RateLimitedError, RetriesExhaustedError, type AttemptRecord } from './errors.js'
import { settle, unwrap, type Outcome, type Policy } from './policy.js'

export interface RetryDecision {
  retry: boolean
  reason: string
  /** A wait the server asked for (Retry-After): used instead of the backoff, never jittered. */
  afterMs?: number
}

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number
  /** The attempts so far; after the call it also holds the last one. */
  history: readonly AttemptRecord[]
}

export type RetryWork<T> = (signal: AbortSignal, context: AttemptContext) => Promise<T>

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number
  /** Default: full jitter from 200 ms, capped at 20 s. */
  backoff?: Backoff
  /** Shared cap on retries as a share of traffic. */
  budget?: RetryBudget
  /** Longest server-requested wait to sleep through; longer ones fail with RateLimitedError. Default 60 s. */
  maxServerWaitMs?: number
  /** Judges each outcome. Default: retry any error but the caller's abort; values are final. */
  judge?: (outcome: Outcome<unknown>, attempt: number) => RetryDecision
  name?: string
  clock?: Clock
}

export type RetryEvents = {
  'retry:scheduled': { name: string; attempt: number; waitMs: number; reason: string }
  'retry:gave-up': { name: string; attempts: number; reason: string }
}

const never = new AbortController().signal

const defaultJudge = (outcome: Outcome<unknown>): RetryDecision =>
  outcome.ok
    ? { retry: false, reason: 'returned' }
    : { retry: true, reason: `threw ${describe(outcome.error)}` }

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof Error
    ? `${error.name}${typeof code === 'string' ? ` ${code}` : ''}`
    : String(error)
}

/** An attempt's outcome and the judge's decision on it. */
export interface Judged<T> {
  outcome: Outcome<T>
  decision: RetryDecision
}

/** A `Policy` whose work also learns which attempt it is and what came before. */
export interface RetryPolicy extends Policy<RetryEvents> {
  /**
   * `deadline` (epoch ms) bounds the waits like a deadline marked on the signal, for a caller
   * that tracks its own deadline rather than making a signal to carry it.
   */
  execute<T>(work: RetryWork<T>, signal?: AbortSignal, run?: { deadline?: number }): Promise<T>
  /**
   * Goes on from a first attempt the caller made and judged itself, as `execute` would have:
   * for a caller that tries once without the loop and enters it only to retry. Like `execute`,
   * the caller checks `signal` before and after that attempt, and counts the call in the budget.
   */
  resume<T>(
    first: Judged<T>,
    work: RetryWork<T>,
    signal?: AbortSignal,
    run?: { deadline?: number },
  ): Promise<T>
}

/**
 * Repeats failed work with growing, jittered waits. It never sleeps past the deadline carried by
 * the signal (see `timeout`), never retries past its budget, sleeps through a server-requested
 * wait only when it fits, and stops waiting the moment the signal aborts.
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 3
  const waits = options.backoff ?? defaultBackoff()
  const maxServerWaitMs = options.maxServerWaitMs ?? 60_000
  const judge = options.judge ?? defaultJudge
  const clock = options.clock ?? systemClock
  const name = options.name ?? 'retry'
  const events = createEmitter<RetryEvents>()
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'retry',
      target: 'maxAttempts',
      reason: `must be a whole number >= 1 (got ${String(maxAttempts)})`,
    })
  }

  async function execute<T>(
    work: RetryWork<T>,
    signal: AbortSignal = never,
    run: { deadline?: number } = {},
  ): Promise<T> {
    signal.throwIfAborted()
    options.budget?.recordRequest()
    const history: AttemptRecord[] = []
    const outcome = await settle(work(signal, { attempt: 1, history }))
    signal.throwIfAborted()
    return goOn({ outcome, decision: judge(outcome, 1) }, work, signal, run, history)
  }

  // The loop after each judged attempt: finish, give up, or wait and make the next one.
  async function goOn<T>(
    first: Judged<T>,
    work: RetryWork<T>,
    signal: AbortSignal,
    run: { deadline?: number },
    history: AttemptRecord[],
  ): Promise<T> {
    let { outcome, decision } = first
    let previousWait = 0
    for (let attempt = 1; ; attempt++) {
      const finish = (why: string): T => {
        history.push({ attempt, returned: outcome.ok, reason: decision.reason, waitMs: 0 })
        if (!decision.retry) return unwrap(outcome)
        events.emit('retry:gave-up', { name, attempts: attempt, reason: why })
        if (outcome.ok) return outcome.value
        throw new RetriesExhaustedError(history, {
          operation: 'run',
          target: name,
          reason: `failed after ${attempt} attempt${attempt === 1 ? '' : 's'} (${why}): ${decision.reason}`,
          cause: outcome.error,
        })
      }
      if (!decision.retry) return finish('final')
      if (attempt >= maxAttempts) return finish('no attempts left')
      const left = Math.min(
        remainingMs(signal, clock),
        run.deadline === undefined ? Infinity : Math.max(0, run.deadline - clock.now()),
      )
      const serverWait = decision.afterMs
      if (serverWait !== undefined && (serverWait > left || serverWait > maxServerWaitMs)) {
        history.push({ attempt, returned: outcome.ok, reason: decision.reason, waitMs: 0 })
        events.emit('retry:gave-up', { name, attempts: attempt, reason: 'server wait too long' })
        throw new RateLimitedError(serverWait, {
          operation: 'run',
          target: name,
          reason: `was asked to wait ${serverWait} ms, more than the ${Number.isFinite(left) && left < maxServerWaitMs ? `${left} ms left before the deadline` : `${maxServerWaitMs} ms allowed`}`,
          ...(outcome.ok ? {} : { cause: outcome.error }),
        })
      }
      const wait = serverWait ?? waits.delay(attempt, previousWait)
      if (wait > left) return finish('the deadline comes before the next attempt')
      if (options.budget && !options.budget.tryRetry()) return finish('retry budget spent')
      history.push({ attempt, returned: outcome.ok, reason: decision.reason, waitMs: wait })
      events.emit('retry:scheduled', { name, attempt, waitMs: wait, reason: decision.reason })
      await clock.sleep(wait, signal)
      previousWait = wait
      const next = attempt + 1
      outcome = await settle(work(signal, { attempt: next, history }))
      signal.throwIfAborted()
      decision = judge(outcome, next)
    }
  }

  const resume = <T>(
    first: Judged<T>,
    work: RetryWork<T>,
    signal: AbortSignal = never,
    run: { deadline?: number } = {},
  ): Promise<T> => goOn(first, work, signal, run, [])

  return { events, execute, resume }
}
