export {
  compose,
  intercept,
  settle,
  unwrap,
  wrap,
  type Interceptor,
  type Outcome,
  type Policy,
  type Send,
  type Work,
} from './policy.js'
export {
  deadlineOf,
  remainingMs,
  scopeDeadline,
  type Abortable,
  type DeadlineScope,
} from './deadline.js'
export {
  BulkheadFullError,
  CircuitOpenError,
  RateLimitedError,
  RetriesExhaustedError,
  TimeoutError,
  type AttemptRecord,
} from './errors.js'
export { backoff, type Backoff, type BackoffOptions, type BackoffStrategy } from './backoff.js'
export { retryBudget, type RetryBudget, type RetryBudgetOptions } from './budget.js'
export { timeout, type TimeoutEvents, type TimeoutOptions } from './timeout.js'
export {
  classify,
  defaultRules,
  type CallFacts,
  type Classification,
  type Rule,
  type Verdict,
} from './classify.js'
export {
  retry,
  type AttemptContext,
  type Judged,
  type RetryDecision,
  type RetryEvents,
  type RetryOptions,
  type RetryPolicy,
  type RetryWork,
} from './retry.js'
export {
  circuitBreaker,
  type CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitState,
} from './circuit-breaker.js'
export { isFailureByDefault, type CircuitBreakerOptions } from './circuit-options.js'
export { bulkhead, type Bulkhead, type BulkheadEvents, type BulkheadOptions } from './bulkhead.js'
export {
  fallback,
  type FallbackEvents,
  type FallbackOptions,
  type FallbackPolicy,
} from './fallback.js'
