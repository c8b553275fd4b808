export {
  createClient,
  type CallOptions,
  type Client,
  type ClientOptions,
  type HttpEvents,
  type HttpResponse,
} from './client.js'
export {
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  type HttpAttempt,
} from './errors.js'
export {
  undiciTransport,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js'
export { encodeForm, type FormInput } from './encode.js'
export type { AuthScheme, ProviderEnvironment, ProviderError, ProviderPreset } from './preset.js'
export {
  cursorPages,
  linkPages,
  paginate,
  type PageRule,
  type PaginateOptions,
} from './paginate.js'
// The limiter is configured on the client, so it is offered beside it.
export {
  createLimiter,
  localQuotaStore,
  parseRateLimitBody,
  parseRateLimitHeaders,
  redisQuotaStore,
  type AcquireOptions,
  type Limiter,
  type LimiterOptions,
  type ObservedWindow,
  type Permit,
  type QuotaSpec,
  type QuotaStore,
  type QuotaStoreFactory,
  type RateLimitObservation,
  type RedisQuotaStoreOptions,
  type RedisScripting,
} from '../limits/index.js'
