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
import { ConcurrencyLimit, WindowCounter } from '../limiters.js'
import { Router, serve } from '../router.js'

export interface XeroProfileOptions {
  /** Per tenant, per minute. Default 60. */
  perMinute?: number
  /** Per tenant, per day. Default 5,000. */
  perDay?: number
  /** Per tenant, in flight at once. Default 5. */
  concurrency?: number
  /** Across all tenants of the app, per minute. Default 10,000. */
  appPerMinute?: number
}

/** Xero accounting: OAuth bearer only, per-tenant minute/day/concurrency limits, an app-wide minute. */
export function xeroProfile(options: XeroProfileOptions, context: ProfileContext): Profile {
  const { clock, random, oauth } = context
  const tenantId =
    `${random.token(8)}-${random.token(4)}-${random.token(4)}-${random.token(4)}-${random.token(12)}`.toLowerCase()
  const minute = new WindowCounter(options.perMinute ?? 60, 60_000, clock)
  const day = new WindowCounter(options.perDay ?? 5_000, 86_400_000, clock)
  const appMinute = new WindowCounter(options.appPerMinute ?? 10_000, 60_000, clock)
  const concurrency = new ConcurrencyLimit(options.concurrency ?? 5)
  const records: Record<'Invoices' | 'Contacts', Record<string, unknown>[]> = {
    Invoices: [],
    Contacts: [],
  }

  const remaining = (): Record<string, string> => ({
    'x-daylimit-remaining': String(day.remaining),
    'x-minlimit-remaining': String(minute.remaining),
    'x-appminlimit-remaining': String(appMinute.remaining),
  })
  const secondsLeft = (counter: WindowCounter): number =>
    Math.max(1, Math.ceil((counter.resetAt - clock.now()) / 1_000))
  const limited = (problem: string, retryAfter: number): Admission => ({
    refused: json(
      429,
      { Title: 'Too Many Requests', Status: 429, Detail: `Rate limit exceeded: ${problem}` },
      { 'retry-after': String(retryAfter), 'x-rate-limit-problem': problem, ...remaining() },
    ),
  })

  const router = new Router()
  for (const kind of ['Invoices', 'Contacts'] as const) {
    const id = kind === 'Invoices' ? 'InvoiceID' : 'ContactID'
    router
      .on('GET', `/api.xro/2.0/${kind}`, () => json(200, { [kind]: records[kind] }))
      .on('POST', `/api.xro/2.0/${kind}`, (request: SimRequest) => {
        const body = jsonBody(request)
        const items = body?.[kind]
        if (!Array.isArray(items) || items.length === 0) {
          return json(400, {
            Type: 'ValidationException',
            Message: `A list of ${kind} is required`,
          })
        }
        const created = items.map((item) => ({ ...(item as object), [id]: random.token(16) }))
        records[kind].push(...created)
        return { status: 200, body: { [kind]: created }, effect: operationIn(body) }
      })
  }

  function admit(request: SimRequest): Admission {
    if (!bearerAllowed(request, undefined, oauth)) {
      return {
        refused: json(401, {
          Title: 'Unauthorized',
          Status: 401,
          Detail: 'AuthenticationUnsuccessful',
        }),
      }
    }
    if (request.header('xero-tenant-id') !== tenantId) {
      return {
        refused: json(403, {
          Title: 'Forbidden',
          Status: 403,
          Detail: 'AuthenticationUnsuccessful',
        }),
      }
    }
    // Every limit must have room before any is consumed, so a refusal costs nothing.
    if (day.remaining < 1) return limited('day', secondsLeft(day))
    if (minute.remaining < 1) return limited('minute', secondsLeft(minute))
    if (appMinute.remaining < 1) return limited('appminute', secondsLeft(appMinute))
    const release = concurrency.acquire()
    if (!release) return limited('concurrent', 1)
    day.take()
    minute.take()
    appMinute.take()
    return { release, headers: remaining() }
  }

  return {
    name: 'xero',
    credentials: { tenantId },
    match: (method, path) => router.match(method, path),
    admit,
    handle: serve(router, json(404, { Title: 'Not Found', Status: 404 })),
  }
}
