import { bearerAllowed } from '../auth.js'
import {
  json,
  jsonBody,
  operationIn,
  type Admission,
  type Profile,
  type ProfileContext,
  type SimRequest,
} from '../http.js'
import { WindowCounter } from '../limiters.js'
import { Router, serve } from '../router.js'

export interface GenericQuota {
  name: string
  /** Requests per window. */
  limit: number
  windowSeconds: number
}

export interface GenericProfileOptions {
  /** Default one quota, `"default"`: 100 requests per 60 s. */
  quotas?: readonly GenericQuota[]
}

/** Any API that speaks the IETF `RateLimit` / `RateLimit-Policy` headers (draft-11). */
export function genericProfile(options: GenericProfileOptions, context: ProfileContext): Profile {
  const { clock, random } = context
  const apiKey = `key_${random.token(32)}`
  const quotas = (options.quotas ?? [{ name: 'default', limit: 100, windowSeconds: 60 }]).map(
    (q) => ({
      ...q,
      counter: new WindowCounter(q.limit, q.windowSeconds * 1_000, clock),
    }),
  )
  const secondsLeft = (counter: WindowCounter): number =>
    Math.max(0, Math.ceil((counter.resetAt - clock.now()) / 1_000))
  const rateHeaders = (): Record<string, string> => ({
    'ratelimit-policy': quotas
      .map((q) => `"${q.name}";q=${q.limit};w=${q.windowSeconds}`)
      .join(', '),
    ratelimit: quotas
      .map((q) => `"${q.name}";r=${q.counter.remaining};t=${secondsLeft(q.counter)}`)
      .join(', '),
  })
  const items: Record<string, unknown>[] = []

  const router = new Router()
    .on('GET', '/items', () => json(200, { items: [...items].reverse() }))
    .on('GET', '/items/:id', (request) => {
      const item = items.find((i) => i.id === request.params.id)
      return item ? json(200, item) : json(404, { title: 'Not Found' })
    })
    .on('POST', '/items', (request) => {
      const body = jsonBody(request)
      if (!body)
        return json(400, { title: 'Bad Request', detail: 'The body must be a JSON object.' })
      const item = { ...body, id: `item_${random.token(12)}` }
      items.push(item)
      return { status: 201, body: item, effect: operationIn(body) }
    })

  function admit(request: SimRequest): Admission {
    if (!bearerAllowed(request, apiKey, context.oauth))
      return { refused: json(401, { title: 'Unauthorized' }) }
    // Every window must have room before any is consumed, so a refusal costs nothing.
    const violated = quotas.filter((q) => q.counter.remaining < 1)
    if (violated.length > 0) {
      const wait = Math.max(...violated.map((q) => secondsLeft(q.counter)))
      return {
        refused: json(
          429,
          {
            type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
            title: 'Too Many Requests',
            'violated-policies': violated.map((q) => q.name),
          },
          {
            'content-type': 'application/problem+json',
            'retry-after': String(wait),
            ...rateHeaders(),
          },
        ),
      }
    }
    for (const q of quotas) q.counter.take()
    return { release: () => {}, headers: rateHeaders() }
  }

  return {
    name: 'generic',
    credentials: { apiKey },
    match: (method, path) => router.match(method, path),
    admit,
    handle: serve(router, json(404, { title: 'Not Found' })),
  }
}
