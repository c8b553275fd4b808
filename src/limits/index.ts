export { parseRateLimitHeaders, type ParseOptions, type RateLimitObservation } from './observe.js'
export { parseRetryAfter, parseRetryAfterMs, type ResponseHeaders } from './retry-after.js'
