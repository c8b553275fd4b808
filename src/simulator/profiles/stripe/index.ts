import { ConcurrencyLimit, TokenBucket } from '../../limiters.js'
import type { Admission, Profile, ProfileContext, SimRequest, SimResponse } from '../../http.js'
import { stripeError } from './errors.js'
import { canonical, parseForm } from '../../form.js'
import { IdempotencyKeys } from './idempotency.js'
import { stripeRoutes } from './resources.js'
import { StripeStore } from './store.js'

export interface StripeProfileOptions {
  /** Which keys are valid: `sk_test_…` in test mode (the default), `sk_live_…` in live mode. */
  mode?: 'test' | 'live'
  /** Requests per second; default 25 in test mode and 100 in live mode, as Stripe documents. */
  ratePerSecond?: number
  /** Requests in flight at once; default the same number as the rate. */
  concurrency?: number
}

function keyFrom(request: SimRequest): string | undefined {
  const auth = request.header('authorization')
  if (!auth) return undefined
  const [scheme = '', value = ''] = auth.split(' ', 2)
  if (scheme.toLowerCase() === 'bearer') return value.trim()
  if (scheme.toLowerCase() === 'basic') {
    return Buffer.from(value, 'base64').toString('utf8').split(':', 1)[0]
  }
  return undefined
}

const masked = (key: string): string =>
  `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`

const rateLimited = (reason: string): SimResponse =>
  stripeError(
    429,
    'invalid_request_error',
    'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    { code: 'rate_limit' },
    { 'stripe-should-retry': 'true', 'stripe-rate-limited-reason': reason },
  )

/** Stripe: bearer secret keys by mode, token-bucket and concurrency limits, idempotency keys. */
export function stripeProfile(options: StripeProfileOptions, context: ProfileContext): Profile {
  const { clock, random } = context
  const mode = options.mode ?? 'test'
  const suffix = random.token(24)
  const apiKey = `sk_${mode}_${suffix}`
  const webhookSecret = `whsec_${random.token(32)}`
  const rate = options.ratePerSecond ?? (mode === 'live' ? 100 : 25)
  const bucket = new TokenBucket(rate, rate, clock)
  const concurrency = new ConcurrencyLimit(options.concurrency ?? rate)
  const store = new StripeStore(clock, random)
  const keys = new IdempotencyKeys(clock)
  const router = stripeRoutes(store)
  const requestId = (): string => `req_${random.token(14)}`

  function admit(request: SimRequest): Admission {
    const key = keyFrom(request)
    if (!key) {
      return {
        refused: stripeError(
          401,
          'invalid_request_error',
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ),
      }
    }
    if (key !== apiKey && context.oauth.check(key) !== 'valid') {
      return {
        refused: stripeError(
          401,
          'invalid_request_error',
          `Invalid API Key provided: ${masked(key)}`,
        ),
      }
    }
    const release = concurrency.acquire()
    if (!release) return { refused: rateLimited('global-concurrency') }
    if (!bucket.take()) {
      release()
      return { refused: rateLimited('global-rate') }
    }
    return { release }
  }

  async function handle(
    request: SimRequest,
    processing: () => Promise<void>,
  ): Promise<SimResponse> {
    const run = router.match(request.method, request.path)?.handler
    if (!run) return stripeError(404, 'invalid_request_error', 'Unrecognized request URL')
    const idempotencyKey = request.method === 'POST' ? request.header('idempotency-key') : undefined
    if (idempotencyKey === undefined) {
      await processing()
      return run(request)
    }
    const params = `${request.path} ${canonical(parseForm(request.body.toString('utf8')))}`
    const reservation = keys.reserve(idempotencyKey, params)
    switch (reservation.kind) {
      case 'replay': {
        const { response } = reservation
        const original = response.headers?.['request-id'] ?? ''
        return {
          status: response.status,
          body: response.body,
          headers: {
            ...response.headers,
            'request-id': requestId(),
            'idempotent-replayed': 'true',
            'original-request': original,
          },
        }
      }
      case 'mismatch':
        return stripeError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        )
      case 'in-flight':
        return stripeError(
          409,
          'idempotency_error',
          `There is currently another in-progress request using this Stripe API key with this idempotency key. Please try again later.`,
          {},
          { 'stripe-should-retry': 'true' },
        )
      case 'new': {
        await processing()
        const response = run(request)
        if (response.effect) response.effect = { ...response.effect, idempotencyKey }
        response.headers = {
          ...response.headers,
          'request-id': requestId(),
          'idempotency-key': idempotencyKey,
        }
        reservation.finish(response)
        return response
      }
    }
  }

  return {
    name: 'stripe',
    credentials: { apiKey, webhookSecret },
    match: (method, path) => router.match(method, path),
    admit,
    handle: async (request, _route, processing) => {
      const response = await handle(request, processing)
      response.headers = { 'request-id': requestId(), ...response.headers }
      return response
    },
  }
}
