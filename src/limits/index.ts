export { parseRateLimitHeaders, type ParseOptions, type RateLimitObservation } from './observe.js'
export { parseRetryAfter, parseRetryAfterMs, type ResponseHeaders } from './retry-after.js'
export {
  createLimiter,
  type AcquireOptions,
  type Limiter,
  type LimiterEvents,
  type LimiterOptions,
  type Permit,
  type QuotaSpec,
} from './limiter.js'
