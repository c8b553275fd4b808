import {
  json,
  jsonBody,
  operationIn,
  type Admission,
  type Profile,
  type ProfileContext,
  type SimRequest,
} from '../http.js'
import { LeakyBucket } from '../limiters.js'
import { Router, serve } from '../router.js'

export interface ShopifyProfileOptions {
  /** Bucket size. Default 40 (standard plans). */
  bucketSize?: number
  /** Leak rate per second. Default 2 (standard plans). */
  leakPerSecond?: number
}

/** Shopify Admin REST: a leaky bucket shown in `X-Shopify-Shop-Api-Call-Limit: n/40`. */
export function shopifyProfile(options: ShopifyProfileOptions, context: ProfileContext): Profile {
  const { clock, random } = context
  const accessToken = `shpat_${random.token(32)}`
  const webhookSecret = random.token(32)
  const bucket = new LeakyBucket(options.bucketSize ?? 40, options.leakPerSecond ?? 2, clock)
  const records = {
    products: [] as Record<string, unknown>[],
    orders: [] as Record<string, unknown>[],
  }
  const callLimit = (): Record<string, string> => ({
    'x-shopify-shop-api-call-limit': `${Math.ceil(bucket.level)}/${bucket.capacity}`,
  })

  const router = new Router()
  for (const kind of ['products', 'orders'] as const) {
    const singular = kind.slice(0, -1)
    router
      .on('GET', `/admin/api/:version/${kind}.json`, () =>
        json(200, { [kind]: [...records[kind]].reverse() }),
      )
      .on('POST', `/admin/api/:version/${kind}.json`, (request: SimRequest) => {
        const input = jsonBody(request)?.[singular]
        if (!input || typeof input !== 'object') {
          return json(400, { errors: { [singular]: 'Required parameter missing or invalid' } })
        }
        const record = { ...input, id: 1_000_000 + records[kind].length }
        records[kind].push(record)
        return {
          status: 201,
          body: { [singular]: record },
          effect: operationIn(input as Record<string, unknown>),
        }
      })
  }

  function admit(request: SimRequest): Admission {
    if (request.header('x-shopify-access-token') !== accessToken) {
      return {
        refused: json(401, {
          errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
        }),
      }
    }
    if (!bucket.add(1)) {
      return {
        refused: json(
          429,
          {
            errors:
              'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
          },
          { 'retry-after': '2.0', ...callLimit() },
        ),
      }
    }
    return { release: () => {}, headers: callLimit() }
  }

  return {
    name: 'shopify',
    credentials: { accessToken, webhookSecret },
    match: (method, path) => router.match(method, path),
    admit,
    handle: serve(router, json(404, { errors: 'Not Found' })),
  }
}
