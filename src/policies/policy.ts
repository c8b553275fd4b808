import type { EventMap, Events } from '../events/index.js'

/** How one run of work ended: a value, or a thrown error. Policies judge outcomes, not just errors. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

// Made once, not on every settle: it runs around every attempt.
const returned = <T>(value: T): Outcome<T> => ({ ok: true, value })
const threw = (error: unknown): Outcome<never> => ({ ok: false, error })

/** Awaits `promise` and tells how it ended, without throwing. */
export function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then<Outcome<T>, Outcome<T>>(returned, threw)
}

/** The value an outcome holds, or its error thrown. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

/** What a policy runs: work that stops when `signal` aborts. */
export type Work<T> = (signal: AbortSignal) => Promise<T>

/** A resilience policy (retry, timeout, circuit breaker, bulkhead, fallback). */
export interface Policy<E extends EventMap = EventMap> {
  /** Runs `work` under the policy; aborting `signal` ends the work and any wait of the policy at once. */
  execute<T>(work: Work<T>, signal?: AbortSignal): Promise<T>
  readonly events: Events<E>
}

/** One step of an outbound call. */
export type Send<Req, Res> = (request: Req, signal: AbortSignal) => Promise<Res>

/** Wraps the next step of a call: the one composition shape for outbound calls. */
export type Interceptor<Req, Res> = (next: Send<Req, Res>) => Send<Req, Res>

/** Composes interceptors outer to inner: the first sees the call first and the answer last. */
export function compose<Req, Res>(...interceptors: Interceptor<Req, Res>[]): Interceptor<Req, Res> {
  return (send) => interceptors.reduceRight((next, interceptor) => interceptor(next), send)
}

/** A policy as an interceptor: each call runs under it. */
export function intercept<Req, Res>(policy: Pick<Policy, 'execute'>): Interceptor<Req, Res> {
  return (next) => (request, signal) => policy.execute((s) => next(request, s), signal)
}

// Stands in for a signal nobody gave: it never aborts, so sharing it costs nothing.
const never = new AbortController().signal

/** Policies nested outer to inner, as one: `wrap(timeout(total), retry, timeout(attempt))`. */
export function wrap(...policies: Pick<Policy, 'execute'>[]): Pick<Policy, 'execute'> {
  return {
    execute: <T>(work: Work<T>, signal?: AbortSignal): Promise<T> =>
      policies.reduceRight<Work<T>>(
        (inner, policy) => (s) => policy.execute(inner, s),
        work,
      )(signal ?? never),
  }
}
