import type { Redactor } from '../../credentials/index.js'
import { isSeamlineError, SeamlineError } from '../../errors/index.js'
import { HttpStatusError, type Client } from '../../http/index.js'
import {
  PermanentError,
  type EnqueueOptions,
  type JobBackoff,
  type JobContext,
  type Jobs,
} from '../../jobs/index.js'
import type { Store } from '../../stores/index.js'
import type { Clock } from '../../time/index.js'
import { webhookScheme } from '../../webhooks/index.js'
import type { GatewayConfig } from '../config-schema.js'
import { oneAttemptClient, postOnce } from '../outbound.js'
import { refusalOf } from '../refusals.js'
import type { ProxyCall } from './call.js'
import {
  operationRef,
  ownedId,
  readOperation,
  type FinalOutcome,
  type OperationError,
  type OperationResult,
} from './operations.js'
import type { Upstream } from './upstream.js'

export const proxyCallJob = 'seamline:proxy'
export const proxyCallbackJob = 'seamline:proxy-callback'
const pruneJob = 'seamline:operations-prune'

/** An async call as its job keeps it: everything `proxy.send` needs, the body in base64. */
export interface ProxyCallPayload {
  operation: string
  /** Who made the call: its proxy token's id ('' or absent without tokens). */
  owner?: string
  provider: string
  method: string
  path: string
  headers: Record<string, string>
  body?: string
  /** The same on every run, so the provider applies the call once however often it is retried. */
  idempotencyKey: string
  connection?: string
  /** Where the final outcome is posted, already checked against `proxy.callbackOrigins`. */
  callback?: string
}

export interface ProxyCallbackPayload {
  operation: string
  owner?: string
  url: string
}

export interface AsyncRetry {
  maxAttempts: number
  backoff: JobBackoff
}

/** An async call's attempts and backoff, from `proxy.retry`. */
export const asyncRetryOf = (settings: GatewayConfig['proxy']): AsyncRetry => ({
  // The jobs layer's own defaults, stated here because a run must know when it is the last.
  maxAttempts: settings.retry?.maxAttempts ?? 20,
  backoff: {
    ...(settings.retry?.baseMs !== undefined && { baseMs: settings.retry.baseMs }),
    ...(settings.retry?.capMs !== undefined && { capMs: settings.retry.capMs }),
  },
})

export interface AsyncJobsOptions {
  store: Store
  jobs: Jobs
  upstream: Pick<Upstream, 'send'>
  clock: Clock
  redactor: Redactor
  retry: AsyncRetry
  /** Origins callbacks may go to (checked again at delivery) and the `whsec_…` they are signed with. */
  callbacks: { origins: ReadonlySet<string>; secret: string | undefined; timeoutMs: number }
  /** Largest answer body kept as a result. */
  maxResultBytes: number
}

// Hop-by-hop headers, cookies, and an encoding the body no longer has once read.
const droppedResultHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'set-cookie',
])

const signer = webhookScheme('standard-webhooks')
const utf8 = new TextDecoder('utf-8', { fatal: true })

function resultOf(status: number, headers: Record<string, string>, body: Uint8Array) {
  let text: string | undefined
  try {
    text = utf8.decode(body)
  } catch {
    text = undefined
  }
  // NUL is refused by PostgreSQL's jsonb: such a body is kept in base64 like any binary one.
  const asText = text !== undefined && !text.includes('\u0000')
  const kept = Object.entries(headers).filter(([name]) => !droppedResultHeaders.has(name))
  return {
    status,
    headers: Object.fromEntries(kept),
    body: asText ? (text as string) : Buffer.from(body).toString('base64'),
    bodyEncoding: asText ? 'text' : 'base64',
  } satisfies OperationResult
}

async function readAll(
  chunks: AsyncIterable<Uint8Array> | undefined,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunks ?? []) {
    size += chunk.byteLength
    if (size > maxBytes) return undefined
    parts.push(chunk)
  }
  return Buffer.concat(parts)
}

const errorBody = (body: unknown): Uint8Array =>
  Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? null))

const snoozing = new Set(['SEAM_ERR_RATE_LIMITED', 'SEAM_ERR_CIRCUIT_OPEN'])

/** Answers and refusals that another attempt could change: 5xx, 429, an open circuit. */
const transient = (status: number): boolean => status >= 500 || status === 429

/** The enqueue options shared by an operation's call and callback jobs. */
export function jobOptions(key: string, retry: AsyncRetry): EnqueueOptions {
  return { key, unique: 'keep-earliest', maxAttempts: retry.maxAttempts, backoff: retry.backoff }
}

const callOf = (payload: ProxyCallPayload): ProxyCall => ({
  provider: payload.provider,
  method: payload.method,
  path: payload.path,
  headers: payload.headers,
  ...(payload.body !== undefined && {
    body: new Uint8Array(Buffer.from(payload.body, 'base64')),
  }),
  idempotencyKey: payload.idempotencyKey,
  ...(payload.connection !== undefined && { connection: payload.connection }),
  owner: payload.owner ?? '',
})

/**
 * One run of an async call: its outcome when final, or a throw when the job should run it again.
 * `dead` records the failure of a run that will not be retried, then throws.
 */
async function runCall(
  payload: ProxyCallPayload,
  ctx: JobContext,
  options: AsyncJobsOptions,
  dead: (error: OperationError, result?: OperationResult, cause?: unknown) => Promise<never>,
): Promise<FinalOutcome> {
  const attempts = ctx.job.attempt
  try {
    // Streamed, then read whole: the body's bytes as sent, binary or not.
    const answer = await options.upstream.send<AsyncIterable<Uint8Array> | undefined>(
      callOf(payload),
      { signal: ctx.signal, stream: true },
    )
    const body = await readAll(answer.body, options.maxResultBytes)
    if (body === undefined) {
      return {
        status: 'failed',
        attempts,
        error: {
          error: 'result_too_large',
          message: `the provider answered ${answer.status} with a body over ${options.maxResultBytes} bytes, which is not kept`,
        },
      }
    }
    return { status: 'succeeded', attempts, result: resultOf(answer.status, answer.headers, body) }
  } catch (error) {
    if (error instanceof HttpStatusError) {
      const result = resultOf(error.status, { ...error.headers }, errorBody(error.body))
      if (!transient(error.status)) return { status: 'failed', attempts, result }
      return dead(
        { error: error.code, message: `the provider answered ${error.status}` },
        result,
        error,
      )
    }
    const refusal = refusalOf(error, options.redactor)
    if (!refusal) throw error
    const failure = { error: refusal.error, message: refusal.message ?? '' }
    // A call the gateway cannot make as written (no such provider any more) will not improve.
    if (!transient(refusal.status)) return { status: 'failed', attempts, error: failure }
    // The jobs layer snoozes these without spending an attempt: this run was not the last.
    if (isSeamlineError(error) && snoozing.has(error.code)) throw error
    return dead(failure, undefined, error)
  }
}

/**
 * The handlers of an async call's two jobs: the call itself (its final outcome stored in the
 * operation's record) and the callback that posts that outcome, signed, to the app.
 */
export function asyncCallJobs(options: AsyncJobsOptions) {
  const { store, jobs, clock, retry } = options

  /** Stores the outcome once, then hands it to the callback job, if the app asked for one. */
  const settle = async (payload: ProxyCallPayload, outcome: FinalOutcome): Promise<void> => {
    const ref = operationRef(ownedId(payload.operation, payload.owner))
    const answerStatus = outcome.result?.status ?? 0
    const stored = await store.idempotency.finish(
      ref,
      { status: answerStatus, body: outcome },
      clock.now(),
    )
    if (!stored && !(await store.idempotency.get(ref))?.response) {
      throw new PermanentError(
        `the record of operation ${payload.operation} is gone: its outcome cannot be stored`,
      )
    }
    await enqueueCallback(payload)
  }

  const enqueueCallback = async (payload: ProxyCallPayload): Promise<void> => {
    if (payload.callback === undefined) return
    const { operation, owner, callback: url } = payload
    await jobs.enqueue(
      proxyCallbackJob,
      { operation, ...(owner && { owner }), url } satisfies ProxyCallbackPayload,
      jobOptions(`proxy-callback:${ownedId(operation, owner)}`, retry),
    )
  }

  const callHandler = async (payload: ProxyCallPayload, ctx: JobContext): Promise<void> => {
    // A run after the outcome was stored (a lost worker, a replay) only finishes the hand-off.
    const record = await store.idempotency.get(
      operationRef(ownedId(payload.operation, payload.owner)),
    )
    if (record?.response) return enqueueCallback(payload)
    const attempts = ctx.job.attempt
    // A run that will not be retried records its failure, so the app learns it was the last.
    const dead = async (error: OperationError, result?: OperationResult, cause?: unknown) => {
      if (attempts >= retry.maxAttempts) {
        await settle(payload, { status: 'dead', attempts, error, ...(result && { result }) })
      }
      throw cause
    }
    return settle(payload, await runCall(payload, ctx, options, dead))
  }

  return { callHandler, callbackHandler: callbackPoster(options) }
}

/** The callback job's handler: the operation's outcome, signed, posted once per run to the app. */
function callbackPoster(options: AsyncJobsOptions) {
  const { store, clock, redactor, callbacks } = options
  // One client per allowed origin: a callback reaches nowhere else.
  const clients = new Map<string, Client>(
    [...callbacks.origins].map((origin) => [
      origin,
      oneAttemptClient(`callback ${origin}`, origin, callbacks.timeoutMs, clock),
    ]),
  )
  return async (payload: ProxyCallbackPayload, ctx: JobContext): Promise<void> => {
    const { operation, url } = payload
    const secret = callbacks.secret
    const client = clients.get(new URL(url).origin)
    if (secret === undefined || !client) {
      throw new PermanentError(
        `callback of operation ${operation} to ${url}: its origin is no longer in proxy.callbackOrigins`,
      )
    }
    const view = await readOperation(store, redactor, operation, payload.owner ?? '')
    if (!view) throw new PermanentError(`operation ${operation} has no record`)
    const body = Buffer.from(JSON.stringify(view))
    const headers = {
      'content-type': 'application/json',
      ...signer.sign({ payload: body, secret, id: operation, clock }),
      'x-seamline-operation-id': operation,
      'x-seamline-attempt': String(ctx.job.attempt),
    }
    const failed = (reason: string, cause?: unknown) =>
      new SeamlineError('SEAM_ERR_WEBHOOK_DELIVERY_FAILED', {
        operation: `post the outcome of operation ${operation} to`,
        target: url,
        reason: `${reason} (attempt ${ctx.job.attempt})`,
        ...(cause !== undefined && { cause }),
      })
    let status: number
    try {
      const post = { headers, body, signal: ctx.signal, timeoutMs: callbacks.timeoutMs }
      status = await postOnce(client, url, post, clock)
    } catch (error) {
      throw failed(`failed without an answer: ${(error as Error).message}`, error)
    }
    if (status >= 200 && status < 300) return
    if (status === 410) {
      throw new PermanentError(
        `callback of operation ${operation} to ${url} got 410 Gone: the app asked for no more`,
      )
    }
    throw failed(`failed with ${status}`)
  }
}

/**
 * Defines the jobs of async calls (the call, its callback) and the hourly prune that forgets
 * outcomes past `retentionMs`, once however many processes run.
 */
export function defineAsyncJobs(options: AsyncJobsOptions & { retentionMs: number }): void {
  const { jobs, store, clock } = options
  const { callHandler, callbackHandler } = asyncCallJobs(options)
  // Payloads are what the proxy and the call job enqueued, under names no app job uses.
  jobs.define(proxyCallJob, (payload, ctx) => callHandler(payload as ProxyCallPayload, ctx))
  jobs.define(proxyCallbackJob, (payload, ctx) =>
    callbackHandler(payload as ProxyCallbackPayload, ctx),
  )
  jobs.define(pruneJob, () => store.idempotency.prune(clock.now() - options.retentionMs))
  jobs.schedule(pruneJob, { everyMs: 3_600_000, job: pruneJob, missed: 'skip' })
}
