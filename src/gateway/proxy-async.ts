import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redactor } from '../credentials/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConfig } from './config-schema.js'
import {
  jobPoint,
  operationIdPattern,
  operationKey,
  operationRef,
  readOperation,
  type OperationView,
} from './operations.js'
import {
  asyncCallJobs,
  jobOptions,
  proxyCallbackJob,
  proxyCallJob,
  type AsyncJobsOptions,
  type ProxyCallbackPayload,
  type ProxyCallPayload,
} from './proxy-async-jobs.js'
import type { Proxy, ProxyCall } from './proxy.js'

/** True when the `Prefer` header (RFC 7240) asks for `respond-async`, among other preferences. */
export function prefersRespondAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer]
  return values
    .flatMap((value) => value.split(','))
    .some((preference) => preference.split(';')[0]?.trim().toLowerCase() === 'respond-async')
}

/** The `Prefer` header without `respond-async`: the provider is asked the app's other preferences. */
function withoutRespondAsync(prefer: string): string | undefined {
  const kept = prefer
    .split(',')
    .filter((preference) => preference.split(';')[0]?.trim().toLowerCase() !== 'respond-async')
    .map((preference) => preference.trim())
  return kept.length > 0 ? kept.join(', ') : undefined
}

export interface AsyncCallsOptions {
  config: GatewayConfig
  store: Store
  jobs: Jobs
  clock: Clock
  redactor: Redactor
  /** The `whsec_…` secret callbacks are signed with, read from `proxy.callbackSecret`. */
  callbackSecret?: string
  /** Largest answer body kept as a result. Default 10 MiB. */
  maxResultBytes?: number
}

// Functions, not methods: each is handed on alone (to the proxy, to Fastify).
export interface AsyncCalls {
  /** Answers a request that prefers `respond-async`: its call enqueued, 202 and the operation. */
  accept: (request: FastifyRequest, reply: FastifyReply, call: ProxyCall) => Promise<FastifyReply>
  /** Fastify plugin of `GET /operations/:id`. */
  routes: (app: FastifyInstance) => Promise<void>
  /** Registers the call and callback jobs' handlers, sending through `proxy`. Before `jobs.start()`. */
  define: (proxy: Pick<Proxy, 'send' | 'refusalOf'>) => void
}

const pruneJob = 'seamline:operations-prune'

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

const refuse = (reply: FastifyReply, status: number, error: string, message: string) =>
  reply.code(status).send({ error, message })

/**
 * Async mode of the egress proxy: a call made with `Prefer: respond-async` becomes a durable
 * job, retried with backoff, whose final outcome is kept under an operation id the app polls
 * (`GET /operations/:id`) or is posted to the app's callback.
 */
export function createAsyncCalls(options: AsyncCallsOptions): AsyncCalls {
  const { config, store, jobs, clock, redactor } = options
  const settings = config.proxy
  const retry = {
    // The jobs layer's own defaults, stated here because a run must know when it is the last.
    maxAttempts: settings.retry?.maxAttempts ?? 20,
    backoff: {
      ...(settings.retry?.baseMs !== undefined && { baseMs: settings.retry.baseMs }),
      ...(settings.retry?.capMs !== undefined && { capMs: settings.retry.capMs }),
    },
  }
  const origins = new Set(settings.callbackOrigins)

  /** The callback URL, or the refusal of it. */
  const callbackOf = (
    value: string,
  ): { url: string } | { status: number; error: string; message: string } => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      url = new URL('invalid:')
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password) {
      return {
        status: 400,
        error: 'bad_callback',
        message:
          'X-Seamline-Callback must be an absolute http:// or https:// URL without credentials',
      }
    }
    if (!origins.has(url.origin)) {
      return {
        status: 400,
        error: 'callback_not_allowed',
        message: `the callback origin ${url.origin} is not allowed: add it to proxy.callbackOrigins`,
      }
    }
    return { url: url.href }
  }

  const payloadOf = (operation: string, call: ProxyCall, callback?: string): ProxyCallPayload => {
    const headers = { ...call.headers }
    const prefer = headers.prefer === undefined ? undefined : withoutRespondAsync(headers.prefer)
    if (prefer === undefined) delete headers.prefer
    else headers.prefer = prefer
    return {
      operation,
      provider: call.provider,
      method: call.method,
      path: call.path,
      headers,
      ...(call.body && { body: Buffer.from(call.body).toString('base64') }),
      idempotencyKey: call.idempotencyKey ?? operationKey(call.provider, operation),
      ...(call.connection !== undefined && { connection: call.connection }),
      ...(callback !== undefined && { callback }),
    }
  }

  // Two requests with one operation id must be the same call; headers may differ (tracing…).
  const fingerprintOf = (call: ProxyCall): string =>
    createHash('sha256')
      .update(JSON.stringify([call.provider, call.method, call.path]))
      .update(call.body ?? new Uint8Array())
      .digest('hex')

  const accepted = (reply: FastifyReply, operation: string, status: OperationView['status']) =>
    reply
      .code(202)
      .header('location', `/operations/${operation}`)
      .header('preference-applied', 'respond-async')
      .send({ operation, status })

  const accept: AsyncCalls['accept'] = async (request, reply, call) => {
    const given = header(request, 'x-seamline-operation-id')
    if (given !== undefined && !operationIdPattern.test(given)) {
      return refuse(
        reply,
        400,
        'bad_operation_id',
        'X-Seamline-Operation-Id must be 1 to 128 letters, digits, _, : or -',
      )
    }
    const operation = given ?? `op_${randomBytes(16).toString('base64url')}`
    const asked = header(request, 'x-seamline-callback')
    const callback = asked === undefined ? undefined : callbackOf(asked)
    if (callback && 'error' in callback) {
      return refuse(reply, callback.status, callback.error, callback.message)
    }

    const ref = operationRef(operation)
    const begun = await store.idempotency.begin({
      ...ref,
      fingerprint: fingerprintOf(call),
      now: clock.now(),
      // Held only while the job is enqueued; the record, not the lock, keeps the call single.
      lockMs: 30_000,
    })
    if (begun.kind === 'mismatch') {
      return refuse(
        reply,
        409,
        'operation_mismatch',
        `operation ${operation} was already used for a different call (provider, method, path or body)`,
      )
    }
    if (begun.kind === 'acquired' && !begun.recoveryPoint.startsWith('job:')) {
      try {
        const payload = payloadOf(operation, call, callback?.url)
        const { id } = await jobs.enqueue(
          proxyCallJob,
          payload,
          jobOptions(`proxy:${operation}`, retry),
        )
        await store.idempotency.advance(ref, jobPoint(id), clock.now())
      } catch (error) {
        // Let go, so the app's retry of this request can enqueue it.
        await store.idempotency.release(ref).catch(() => undefined)
        throw error
      }
      return accepted(reply, operation, 'queued')
    }
    // A repeat of an accepted call: the same operation, as it stands now.
    const view = await readOperation(store, redactor, operation)
    return accepted(reply, operation, view?.status ?? 'queued')
  }

  const routes: AsyncCalls['routes'] = (app) => {
    app.get('/operations/:id', async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!operationIdPattern.test(id)) {
        return refuse(
          reply,
          400,
          'bad_operation_id',
          'an operation id is 1 to 128 letters, digits, _, : or -',
        )
      }
      const view = await readOperation(store, redactor, id)
      if (!view) return refuse(reply, 404, 'unknown_operation', `no operation ${id} is known`)
      return view
    })
    return Promise.resolve()
  }

  const define: AsyncCalls['define'] = (proxy) => {
    const jobsOptions: AsyncJobsOptions = {
      store,
      jobs,
      proxy,
      clock,
      redactor,
      retry,
      callbacks: { origins, secret: options.callbackSecret, timeoutMs: 10_000 },
      maxResultBytes: options.maxResultBytes ?? 10 * 1024 * 1024,
    }
    const { callHandler, callbackHandler } = asyncCallJobs(jobsOptions)
    // Payloads are what `accept` and the call job enqueued, under names no app job uses.
    jobs.define(proxyCallJob, (payload, ctx) => callHandler(payload as ProxyCallPayload, ctx))
    jobs.define(proxyCallbackJob, (payload, ctx) =>
      callbackHandler(payload as ProxyCallbackPayload, ctx),
    )
    // Outcomes are forgotten past their retention, hourly, once however many processes run.
    jobs.define(pruneJob, () => store.idempotency.prune(clock.now() - settings.retentionMs))
    jobs.schedule(pruneJob, { everyMs: 3_600_000, job: pruneJob, missed: 'skip' })
  }

  return { accept, routes, define }
}
