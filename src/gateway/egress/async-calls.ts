import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Redactor } from '../../credentials/index.js'
import type { Jobs } from '../../jobs/index.js'
import type { Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'
import { refuse, type Refusal, type Wording } from '../refusals.js'
import { jobOptions, proxyCallJob, type AsyncRetry, type ProxyCallPayload } from './async-jobs.js'
import type { Caller } from './access.js'
import type { ProxyCall } from './call.js'
import {
  jobPoint,
  operationIdPattern,
  operationKey,
  operationRef,
  ownedId,
  readOperation,
  type OperationView,
} from './operations.js'
import { withoutRespondAsync } from './prefer.js'

export interface AsyncCallsOptions {
  store: Store
  jobs: Jobs
  clock: Clock
  redactor: Redactor
  retry: AsyncRetry
  /** Origins a callback may go to (`proxy.callbackOrigins`). */
  callbackOrigins: ReadonlySet<string>
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

const badOperationId = (message: string): Refusal => ({
  status: 400,
  error: 'bad_operation_id',
  message,
})

/** The callback URL, or the refusal of it. */
function callbackOf(value: string, origins: ReadonlySet<string>): { url: string } | Refusal {
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

function payloadOf(operation: string, call: ProxyCall, callback?: string): ProxyCallPayload {
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
    idempotencyKey:
      call.idempotencyKey ?? operationKey(call.provider, ownedId(operation, call.owner)),
    ...(call.connection !== undefined && { connection: call.connection }),
    ...(callback !== undefined && { callback }),
    ...(call.owner !== '' && { owner: call.owner }),
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

/**
 * Async mode of the egress proxy: a call made with `Prefer: respond-async` becomes a durable
 * job, retried with backoff, whose final outcome is kept under an operation id the app polls
 * (`GET /operations/:id`) or is posted to the app's callback. Answers 202 and the operation.
 */
export function asyncCalls(options: AsyncCallsOptions) {
  const { store, jobs, clock, redactor, retry } = options

  /** Enqueues the call once per operation id; a repeat is the same operation as it stands. */
  return async (
    request: FastifyRequest,
    reply: FastifyReply,
    call: ProxyCall,
    wording: Wording | undefined,
  ) => {
    const given = header(request, 'x-seamline-operation-id')
    if (given !== undefined && !operationIdPattern.test(given)) {
      return refuse(
        reply,
        badOperationId('X-Seamline-Operation-Id must be 1 to 128 letters, digits, _, : or -'),
        wording,
      )
    }
    const operation = given ?? `op_${randomBytes(16).toString('base64url')}`
    const asked = header(request, 'x-seamline-callback')
    const callback = asked === undefined ? undefined : callbackOf(asked, options.callbackOrigins)
    if (callback && 'error' in callback) return refuse(reply, callback, wording)

    const owned = ownedId(operation, call.owner)
    const ref = operationRef(owned)
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
        {
          status: 409,
          error: 'operation_mismatch',
          message: `operation ${operation} was already used for a different call (provider, method, path or body)`,
        },
        wording,
      )
    }
    if (begun.kind === 'acquired' && !begun.recoveryPoint.startsWith('job:')) {
      try {
        const payload = payloadOf(operation, call, callback?.url)
        const { id } = await jobs.enqueue(
          proxyCallJob,
          payload,
          jobOptions(`proxy:${owned}`, retry),
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
    const view = await readOperation(store, redactor, operation, call.owner)
    return accepted(reply, operation, view?.status ?? 'queued')
  }
}

/**
 * `GET /operations/:id`: an async call's status, and its outcome once it has one. A caller sees
 * only the operations its own token made.
 */
export function operationRoute(
  store: Store,
  redactor: Redactor,
  callerOf: (request: FastifyRequest) => Caller,
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = request.params as { id: string }
    if (!operationIdPattern.test(id)) {
      return refuse(reply, badOperationId('an operation id is 1 to 128 letters, digits, _, : or -'))
    }
    const view = await readOperation(store, redactor, id, callerOf(request).owner)
    if (!view)
      return refuse(reply, {
        status: 404,
        error: 'unknown_operation',
        message: `no operation ${id} is known`,
      })
    return view
  }
}
