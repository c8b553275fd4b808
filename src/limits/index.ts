export {
  parseRateLimitBody,
  parseRateLimitHeaders,
  type ObservedWindow,
  type ParseOptions,
  type RateLimitObservation,
} from './observe.js'
export { parseRetryAfter, parseRetryAfterMs, type ResponseHeaders } from './retry-after.js'
export {
  createLimiter,
  type AcquireOptions,
  type Limiter,
  type LimiterEvents,
  type LimiterOptions,
  type Permit,
  type QuotaSpec,
  type ReportedWindow,
} from './limiter.js'
export { localQuotaStore } from './local-store.js'
export type { QuotaStore, QuotaStoreContext, QuotaStoreFactory, Taken } from './quota-store.js'
export { redisQuotaStore, type RedisQuotaStoreOptions, type RedisScripting } from './redis-store.js'
