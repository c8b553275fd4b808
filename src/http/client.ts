import { randomUUID } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Events } from '../events/index.js'
import {
  createLimiter,
  parseRateLimitBody,
  parseRateLimitHeaders,
  type Limiter,
  type QuotaStoreFactory,
} from '../limits/index.js'
import {
  BulkheadFullError,
  CircuitOpenError,
  classify,
  defaultRules,
  deadlineOf,
  RateLimitedError,
  retry,
  scopeDeadline,
  settle,
  unwrap,
  retryBudget,
  RetriesExhaustedError,
  TimeoutError,
  wrap,
  type DeadlineScope,
  type Outcome,
  type Policy,
  type RetryDecision,
  type RetryOptions,
  type RetryPolicy,
} from '../policies/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { encodeForm, type FormInput } from './encode.js'
import {
  HttpStatusError,
  MalformedResponseError,
  providerMessage,
  NetworkError,
  type HttpAttempt,
} from './errors.js'
import { authorize, resolvePreset, type AuthScheme, type ProviderPreset } from './preset.js'
import { attemptAbort } from './attempt-abort.js'
import {
  takesAttemptAbort,
  undiciTransport,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js'

export interface ClientOptions {
  /** Where the API lives; default the provider preset's URL for the environment. */
  baseUrl?: string
  /**
   * The provider (`providers.stripe`…): base URL per environment, auth scheme, idempotency
   * header, documented limits and failure signals. Every option here overrides it.
   */
  provider?: ProviderPreset
  /** The preset's environment (`live`, `sandbox`…); default the preset's own default. */
  environment?: string
  /** Fills the preset's `{shop}`-style placeholders (Shopify's shop, Xero's tenant id). */
  params?: Readonly<Record<string, string>>
  /** Names the client in events; default the preset's name, else the base URL's host. */
  name?: string
  /** Sent with every call. */
  headers?: Record<string, string>
  /**
   * The secret for each attempt (asked again on every attempt, so a refreshed token is picked
   * up on retry), sent the way `auth` (default the preset's, else a bearer token) says.
   */
  credential?: string | (() => string | Promise<string>)
  /** How the credential is sent; default the preset's scheme, else `{ kind: 'bearer' }`. */
  auth?: AuthScheme
  /** The whole `Authorization` value for each attempt, when `credential` does not fit. */
  authorization?: () => string | Promise<string>
  /**
   * Called once per call when an attempt sent with `credential` answers 401, with the value sent.
   * Resolve true when a different credential is ready (an OAuth token manager's
   * `onUnauthorized` refreshes it), and the attempt is sent once more with it.
   */
  onUnauthorized?: (credential: string) => boolean | Promise<boolean>
  /** The provider's idempotency header; POSTs get a key that every retry repeats. */
  idempotencyHeader?: string
  /** Attempts, backoff and budget; `false` turns retries off. Default 3 attempts, full jitter. */
  retry?: Omit<RetryOptions, 'judge' | 'clock' | 'name'> | false
  /** Each attempt's time limit. Default 30 s. */
  attemptTimeoutMs?: number
  /** The whole call's time limit, waits included. Default 60 s; a call may set its own. */
  deadlineMs?: number
  /**
   * The provider's quotas: every attempt waits its turn, and responses tune it. Default a
   * limiter of the preset's quotas, for this client alone; `false` for none.
   */
  limiter?: Limiter | false
  /**
   * For the limiter made from the preset's quotas: where they are counted (`redisQuotaStore`
   * to share them across processes; default this process) and the name they are counted
   * under (default `<provider>:<environment>` and the params' values, e.g. `xero:live:<tenant>`;
   * set one per API key when several keys share a provider and params).
   */
  limits?: { store?: QuotaStoreFactory; name?: string }
  /** More policies around each attempt, outer to inner (a circuit breaker, a bulkhead…). */
  policies?: readonly Pick<Policy, 'execute'>[]
  transport?: Transport
  clock?: Clock
}

export interface CallOptions {
  query?: { readonly [key: string]: FormInput }
  json?: unknown
  form?: { readonly [key: string]: FormInput }
  body?: string | Uint8Array
  headers?: Record<string, string>
  /** Your key for this logical operation (e.g. `refund:${orderId}`); default one generated per call. */
  idempotencyKey?: string
  deadlineMs?: number
  signal?: AbortSignal
  /** Leave a successful body unread, as an async iterable of chunks. */
  stream?: boolean
  /** Units per quota this call costs (OpenAI tokens, Shopify points); default 1 of each. */
  cost?: Readonly<Record<string, number>>
  /**
   * This call's credential and 401 handler, in place of the client's: one client (one quota,
   * one breaker) serving many OAuth connections, e.g. `{ ...tokens.clientAuth(ref) }`.
   */
  credential?: ClientOptions['credential']
  onUnauthorized?: ClientOptions['onUnauthorized']
}

export interface HttpResponse<T = unknown> {
  status: number
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** Parsed JSON when the response says it is JSON, else text; chunks when streamed. */
  body: T
  attempts: readonly HttpAttempt[]
}

export type HttpEvents = {
  'http:attempt': {
    client: string
    method: string
    url: string
    attempt: number
    status?: number
    error?: string
    durationMs: number
  }
  'http:retry': {
    client: string
    method: string
    url: string
    attempt: number
    waitMs: number
    reason: string
  }
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: unknown
}

const flatHeaders = (headers: TransportResponse['headers']): Record<string, string> => {
  // undici's are most often flat already (lower-case names, one value each): kept as they are.
  for (const name in headers)
    if (typeof headers[name] !== 'string' || name !== name.toLowerCase()) return flatten(headers)
  return headers as Record<string, string>
}

const flatten = (headers: TransportResponse['headers']): Record<string, string> => {
  const flat: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

const codeOf = (error: unknown): string => {
  const code =
    (error as { code?: unknown } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error'
}

function parseBody(
  text: string,
  status: number,
  headers: Record<string, string>,
  where: { operation: string; target: string },
): unknown {
  if (!/\bjson\b/i.test(headers['content-type'] ?? '')) return text
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    // An error body that does not parse is still worth showing; a success body must parse.
    if (status >= 400) return text
    throw new MalformedResponseError(status, {
      ...where,
      reason: `answered ${status} with a body that is not the JSON it claims to be`,
      cause: error,
    })
  }
}

/**
 * What a response teaches the limiter: the windows it reports tune their quotas; a 429's
 * Retry-After pauses every call; a 429 with nothing to go on halves the rate (AIMD) and a
 * success wins some of it back. Returns the call's actual cost where the response tells it
 * (Shopify's GraphQL cost), to settle its permit.
 */
function tune(limiter: Limiter, answer: Answer, now: number): Record<string, number> | undefined {
  const { retryAfterMs, windows = [] } = parseRateLimitHeaders(answer.headers, { now })
  if (answer.body !== null && typeof answer.body === 'object')
    windows.push(...parseRateLimitBody(answer.body))
  if (windows.length > 0) limiter.learn(windows)
  // Any refusal that names a wait (GitHub's 403 secondary limit, a 503) holds every call.
  if (answer.status >= 400 && retryAfterMs !== undefined)
    limiter.pause(retryAfterMs, `Retry-After on a ${answer.status}`)
  else if (answer.status === 429) {
    if (windows.length === 0) limiter.throttle('limited')
  } else if (answer.status < 400 && windows.length === 0) limiter.throttle('ok')
  let actual: Record<string, number> | undefined
  for (const window of windows) {
    const quota = window.cost?.actual === undefined ? undefined : limiter.quotaFor(window)
    if (quota) (actual ??= {})[quota] = window.cost!.actual!
  }
  return actual
}

// Answers that sending the same call again cannot change, when the rules say not to retry them:
// the call is wrong (400, 422), names nothing (404, 410), conflicts (409), or is not allowed
// (401, 403, after the one refresh of a rejected token).
const permanentStatuses = new Set([400, 401, 403, 404, 409, 410, 422])

const absolute = /^[a-z][a-z\d+.-]*:/i

// Header names are case-insensitive: kept in lower case, so an override replaces, not doubles.
const withLowerCased = (
  to: Record<string, string>,
  headers: Readonly<Record<string, string>> | undefined,
): Record<string, string> => {
  for (const name in headers) to[name.toLowerCase()] = headers[name]!
  return to
}

/** The credential function threw: the call was never sent, and is not retried. */
class CredentialFailure extends Error {
  constructor(readonly error: unknown) {
    super('the credential could not be obtained')
  }
}

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'createClient',
    target,
    reason,
  })
}

/** A resilient HTTP client for one provider: timeouts, safe retries, idempotency keys, typed errors. */
export function createClient(options: ClientOptions) {
  const preset = options.provider
  const resolved = preset
    ? resolvePreset(preset, options.environment, options.params, options.baseUrl)
    : undefined
  const baseUrl = options.baseUrl ?? resolved?.baseUrl
  if (baseUrl === undefined) throw invalid('baseUrl', 'is needed when no provider is given')
  if (!URL.canParse(baseUrl)) throw invalid('baseUrl', `is not a URL (got ${baseUrl})`)
  const base = new URL(baseUrl)
  // Paths are relative to the base URL's own path (`/admin/api/2025-01` for Shopify).
  const root = new URL(base.href.endsWith('/') ? base.href : `${base.href}/`)
  const { origin } = root
  const clock = options.clock ?? systemClock
  const name = options.name ?? preset?.name ?? base.host
  const fixedHeaders = withLowerCased({ ...resolved?.headers }, options.headers)
  const idempotencyHeaderName = (
    options.idempotencyHeader ?? preset?.idempotencyHeader
  )?.toLowerCase()
  const keyedMethods = new Set(preset?.idempotencyMethods ?? ['POST'])
  const rules = preset?.rules ? [...preset.rules, ...defaultRules] : defaultRules
  const scheme = options.auth ?? preset?.auth ?? { kind: 'bearer' }
  const limiter =
    options.limiter === false
      ? undefined
      : (options.limiter ??
        (resolved?.quotas.length
          ? createLimiter({
              name:
                options.limits?.name ??
                [name, options.environment ?? preset!.defaultEnvironment]
                  .concat(Object.values(options.params ?? {}))
                  .join(':'),
              quotas: resolved.quotas,
              clock,
              ...(options.limits?.store ? { store: options.limits.store } : {}),
            })
          : undefined))
  const transport = options.transport ?? undiciTransport()
  const events = createEmitter<HttpEvents>()
  const retryOptions = options.retry === false ? { maxAttempts: 1 } : { ...options.retry }
  // One budget per client unless the caller shares one across clients.
  const budget = retryOptions.budget ?? retryBudget({ clock })
  // A call makes its retry policy only to retry: bad retry options fail here, not on a retry.
  retry({ ...retryOptions, budget, clock, name })
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000
  if (!(Number.isFinite(attemptTimeoutMs) && attemptTimeoutMs >= 0))
    throw invalid('attemptTimeoutMs', `must be a finite number >= 0 (got ${attemptTimeoutMs})`)
  const inner = options.policies?.length ? wrap(...options.policies) : undefined
  const endsOnAbort = takesAttemptAbort.has(transport)
  const attemptTimedOut = (reason: string) => () =>
    new TimeoutError({ operation: 'run', target: 'attempt', reason })
  const tookTooLong = attemptTimedOut(`took longer than ${attemptTimeoutMs} ms`)
  const reachedDeadline = attemptTimedOut(
    `reached the deadline set around it, before its own ${attemptTimeoutMs} ms`,
  )

  // An attempt's time limit (or the call's deadline, if sooner) and the caller's abort.
  const attemptScope = (parent: AbortSignal | undefined, deadline: number): DeadlineScope => {
    const at = clock.now() + attemptTimeoutMs
    return scopeDeadline(
      parent,
      Math.min(at, deadline),
      clock,
      deadline < at ? reachedDeadline : tookTooLong,
      // The attempt's own signal goes to the transport alone (policies see their parent's):
      // undici takes a cheaper stand-in.
      endsOnAbort ? attemptAbort() : new AbortController(),
    )
  }

  async function call<T = unknown>(
    method: string,
    path: string,
    call: CallOptions = {},
  ): Promise<HttpResponse<T>> {
    method = method.toUpperCase()
    // An absolute URL is parsed as it is; a path is appended to the base (cheaper than resolving).
    const relative = !absolute.test(path)
    const url = relative ? new URL(root.href + path.replace(/^\/+/, '')) : new URL(path)
    const credential = call.credential ?? options.credential
    const onUnauthorized = call.onUnauthorized ?? options.onUnauthorized
    if (call.query)
      for (const [k, v] of new URLSearchParams(encodeForm(call.query)))
        url.searchParams.append(k, v)
    // A path keeps the base's origin.
    const target = `${relative ? origin : url.origin}${url.pathname}`
    const headers = withLowerCased({ ...fixedHeaders }, call.headers)
    let body: string | Uint8Array | undefined = call.body
    if (call.json !== undefined) {
      body = JSON.stringify(call.json)
      headers['content-type'] ??= 'application/json'
    } else if (call.form) {
      body = encodeForm(call.form)
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
    }
    // One key per logical call, repeated by every retry, so a retry can never run the effect twice.
    const idempotencyHeader =
      idempotencyHeaderName ?? (call.idempotencyKey ? 'idempotency-key' : undefined)
    const idempotencyKey =
      idempotencyHeader && (call.idempotencyKey !== undefined || keyedMethods.has(method))
        ? (call.idempotencyKey ?? randomUUID())
        : undefined
    if (idempotencyHeader && idempotencyKey) headers[idempotencyHeader] = idempotencyKey

    // The call's deadline is kept here, not on a signal made for it: each attempt's timeout is
    // cut to it and every wait (backoff, quota) is capped by it, for one signal per attempt.
    const deadline = Math.min(
      clock.now() + (call.deadlineMs ?? options.deadlineMs ?? 60_000),
      deadlineOf(call.signal) ?? Infinity,
    )
    const attempts: HttpAttempt[] = []
    let reauthorized = false

    // One attempt on the wire, within its scope: a transport that ends at once when its signal
    // aborts (undici's) is awaited as it is, any other is raced against the scope.
    const send = async (
      parent: AbortSignal | undefined,
      request: TransportRequest,
    ): Promise<Answer & { raw?: TransportResponse }> => {
      const scope = attemptScope(parent, deadline)
      try {
        const sent = transport(request, scope.signal)
        const response = await (endsOnAbort ? sent : scope.bound(sent))
        const responseHeaders = flatHeaders(response.headers)
        if (call.stream && response.status < 400)
          return {
            status: response.status,
            headers: responseHeaders,
            body: undefined,
            raw: response,
          }
        const reading = response.body.text()
        const text = await (endsOnAbort ? reading : scope.bound(reading))
        return {
          status: response.status,
          headers: responseHeaders,
          body: parseBody(text, response.status, responseHeaders, { operation: method, target }),
        }
      } finally {
        scope.dispose()
      }
    }

    const attempt = async (number: number): Promise<Answer & { raw?: TransportResponse }> => {
      // A quota wait that cannot end before the deadline fails now, so a job can reschedule.
      const permit = limiter
        ? await limiter.acquire({
            ...(call.signal ? { signal: call.signal } : {}),
            maxWaitMs: Math.max(0, deadline - clock.now()),
            ...(call.cost ? { cost: call.cost } : {}),
          })
        : undefined
      const started = clock.now()
      let actual: Record<string, number> | undefined
      try {
        const request: TransportRequest = { method, url, headers: { ...headers } }
        if (body !== undefined) request.body = body
        let sent: string | undefined
        // A secret at hand is not awaited: an await costs a turn of the microtask queue.
        const sign = async (): Promise<void> => {
          if (options.authorization) {
            const value = options.authorization()
            request.headers.authorization = typeof value === 'string' ? value : await value
          } else if (credential !== undefined) {
            try {
              const given = typeof credential === 'string' ? credential : credential()
              sent = typeof given === 'string' ? given : await given
            } catch (error) {
              throw new CredentialFailure(error)
            }
            const auth = authorize(scheme, sent)
            if ('header' in auth) request.headers[auth.header[0]] = auth.header[1]
            else (request.url = new URL(url)).searchParams.set(...auth.query)
          }
        }
        await sign()
        let answer = inner
          ? await inner.execute((s) => send(s, request), call.signal)
          : await send(call.signal, request)
        // A rejected token is refreshed once per call and the attempt sent once more.
        if (answer.status === 401 && onUnauthorized && sent !== undefined && !reauthorized) {
          reauthorized = true
          if (await onUnauthorized(sent)) {
            await sign()
            answer = inner
              ? await inner.execute((s) => send(s, request), call.signal)
              : await send(call.signal, request)
          }
        }
        attempts.push({ attempt: number, status: answer.status, reason: '', waitMs: 0 })
        if (events.listens('http:attempt'))
          events.emit('http:attempt', {
            client: name,
            method,
            url: target,
            attempt: number,
            status: answer.status,
            durationMs: clock.now() - started,
          })
        if (limiter) actual = tune(limiter, answer, clock.now())
        return answer
      } catch (error) {
        if (!call.signal?.aborted) {
          attempts.push({ attempt: number, error: codeOf(error), reason: '', waitMs: 0 })
          if (events.listens('http:attempt'))
            events.emit('http:attempt', {
              client: name,
              method,
              url: target,
              attempt: number,
              error: codeOf(error),
              durationMs: clock.now() - started,
            })
        }
        throw error
      } finally {
        permit?.release(actual)
      }
    }

    // The last answer's verdict was "do not retry" (not "no attempts left").
    let refused = false
    const judge = (outcome: Outcome<unknown>): RetryDecision => {
      const answer = outcome.ok ? (outcome.value as Answer) : undefined
      // The common case needs no table: a 2xx/3xx is final unless the provider says otherwise.
      if (
        answer &&
        answer.status < 400 &&
        !answer.headers['stripe-should-retry'] &&
        !answer.headers['x-should-retry']
      ) {
        const last = attempts.at(-1)
        if (last) last.reason = 'ok'
        return { retry: false, reason: 'ok' }
      }
      const verdict = classify(
        {
          ...(answer
            ? { status: answer.status, header: (h: string) => answer.headers[h] }
            : { error: outcome.ok ? undefined : outcome.error }),
          method,
          idempotencyKey: idempotencyKey !== undefined,
        },
        rules,
      )
      const last = attempts.at(-1)
      if (last) last.reason = verdict.reason
      refused = !verdict.retryable
      if (!verdict.retryable) return { retry: false, reason: verdict.reason }
      const afterMs = answer
        ? parseRateLimitHeaders(answer.headers, { now: clock.now() }).retryAfterMs
        : undefined
      return afterMs === undefined
        ? { retry: true, reason: verdict.reason }
        : { retry: true, reason: verdict.reason, afterMs }
    }

    let gaveUp = ''
    // The retry policy is made for the call only when its first attempt is to be retried.
    const retrying = (): RetryPolicy => {
      const policy = retry({ ...retryOptions, budget, judge, clock, name })
      policy.events.on('retry:gave-up', (e) => (gaveUp = e.reason))
      policy.events.on('retry:scheduled', (e) => {
        const last = attempts.at(-1)
        if (last) last.waitMs = e.waitMs
        events.emit('http:retry', {
          client: name,
          method,
          url: target,
          attempt: e.attempt,
          waitMs: e.waitMs,
          reason: e.reason,
        })
      })
      return policy
    }
    // `after 3 attempts`, and why it stopped when that was not simply running out of attempts.
    const describe = (n: number): string =>
      `after ${n} attempt${n === 1 ? '' : 's'}${gaveUp && gaveUp !== 'no attempts left' ? ` (${gaveUp})` : ''}`

    let answer: Answer & { raw?: TransportResponse }
    try {
      // The first attempt is made as the retry policy's `execute` would make it, without the loop.
      call.signal?.throwIfAborted()
      budget.recordRequest()
      const outcome = await settle(attempt(1))
      call.signal?.throwIfAborted()
      const decision = judge(outcome)
      answer = decision.retry
        ? await retrying().resume(
            { outcome, decision },
            (_, { attempt: n }) => attempt(n),
            call.signal,
            { deadline },
          )
        : unwrap(outcome)
    } catch (error) {
      if (call.signal?.aborted && error === call.signal.reason) throw error
      const where = { operation: method, target }
      if (error instanceof RateLimitedError) {
        throw new RateLimitedError(error.retryAfterMs, {
          ...where,
          reason: `was rate limited and asked to wait ${error.retryAfterMs} ms, longer than it may (${describe(attempts.length)})`,
          cause: error,
        })
      }
      const last = error instanceof RetriesExhaustedError ? error.cause : error
      // No credential to send (an OAuth connection to authorize again): its own error says why.
      if (last instanceof CredentialFailure) throw last.error
      // A policy refused the call before it was sent: say so, naming the call.
      if (last instanceof CircuitOpenError)
        throw new CircuitOpenError(last.retryAfterMs, {
          ...where,
          reason: `was not sent (${last.message})`,
          cause: last,
        })
      if (last instanceof BulkheadFullError)
        throw new BulkheadFullError({
          ...where,
          reason: `was not sent (${last.message})`,
          cause: last,
        })
      if (last instanceof TimeoutError || error instanceof TimeoutError) {
        throw new TimeoutError({
          ...where,
          reason: `timed out (${(error as Error).message}) ${describe(attempts.length)}`,
          cause: error,
        })
      }
      throw new NetworkError(attempts, {
        ...where,
        reason: `failed: ${attempts.at(-1)?.reason || codeOf(last)} (${codeOf(last)}) ${describe(attempts.length)}`,
        cause: last,
      })
    }
    if (answer.status >= 400) {
      const said = providerMessage(answer.body)
      throw new HttpStatusError(
        {
          status: answer.status,
          headers: answer.headers,
          body: answer.body,
          attempts,
          permanent: refused && permanentStatuses.has(answer.status),
        },
        {
          ...{ operation: method, target },
          reason: `failed with ${answer.status} ${describe(attempts.length)}${said === undefined ? '' : `: ${said}`}`,
        },
      )
    }
    const responseBody = answer.raw ? answer.raw.body : answer.body
    return { status: answer.status, headers: answer.headers, body: responseBody as T, attempts }
  }

  return {
    name,
    /** Where every path is appended: the given base URL, else the preset's, placeholders filled. */
    baseUrl,
    events: events as Events<HttpEvents>,
    /** The limiter every attempt waits on (the preset's, unless one was given), if any. */
    limiter,
    request: call,
    get: <T = unknown>(path: string, o?: CallOptions) => call<T>('GET', path, o),
    post: <T = unknown>(path: string, o?: CallOptions) => call<T>('POST', path, o),
    put: <T = unknown>(path: string, o?: CallOptions) => call<T>('PUT', path, o),
    patch: <T = unknown>(path: string, o?: CallOptions) => call<T>('PATCH', path, o),
    delete: <T = unknown>(path: string, o?: CallOptions) => call<T>('DELETE', path, o),
  }
}

export type Client = ReturnType<typeof createClient>
