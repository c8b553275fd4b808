import { SeamlineError } from '../errors/index.js'
import type { BackoffStrategy } from '../policies/index.js'
import type { NewJob, UniqueMode } from '../stores/index.js'

/**
 * Payload types by job name. An app augments it so `enqueue` and `define` check payloads:
 * `declare module 'seamline/jobs' { interface JobRegistry { 'sync-customer': { id: string } } }`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobRegistry {}

export type PayloadOf<Name extends string> = Name extends keyof JobRegistry
  ? JobRegistry[Name]
  : unknown

/** The retry schedule of a job: exponential with full jitter by default, capped. */
export interface JobBackoff {
  strategy?: BackoffStrategy
  /** Default 1 s. */
  baseMs?: number
  /** Default 1 h. */
  capMs?: number
}

export interface JobDefaults {
  /** Handler failures before the job is a dead letter (`exhausted`). Default 20. */
  maxAttempts?: number
  /** Lost leases (crashed or stalled workers) before the job is a dead letter (`worker_lost`). Default 3. */
  maxRescues?: number
  backoff?: JobBackoff
  /** Lower runs first. Default 0. */
  priority?: number
}

export interface JobDefinitionOptions<P> extends JobDefaults {
  /** Aborts the handler's `ctx.signal` after this long; what the handler then does decides. */
  timeoutMs?: number
  /** Jobs with the same order key start one at a time, oldest first (e.g. one Stripe customer's events). */
  orderBy?: (payload: P) => string | undefined
  /** At most `limit` jobs with the same key run at once, across every process. */
  concurrency?: { key: (payload: P) => string | undefined; limit: number }
}

export interface EnqueueOptions extends JobDefaults {
  /** While a job with this key is pending or running, another is not enqueued (see `unique`). */
  key?: string
  /** What to do when `key` is held: `keep-earliest` (the default), `replace` or `reject`. */
  unique?: UniqueMode
  /** When to run: a `Date` or epoch milliseconds. Default now. */
  runAt?: Date | number
  /** Or: run this long from now. */
  delayMs?: number
  orderKey?: string
  group?: { key: string; limit: number }
  /** Root of the job's outbound idempotency keys; a random one by default. */
  idempotencyKey?: string
}

export const jobDefaults = {
  maxAttempts: 20,
  maxRescues: 3,
  backoff: { strategy: 'full', baseMs: 1_000, capMs: 3_600_000 },
  priority: 0,
} as const

function invalid(operation: string, target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation, target, reason })
}

function integer(operation: string, target: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw invalid(operation, target, `must be an integer >= ${min} (got ${String(value)})`)
  }
  return value
}

function text(operation: string, target: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1_000) {
    throw invalid(
      operation,
      target,
      `must be a non-empty string of at most 1000 characters (got ${JSON.stringify(value)})`,
    )
  }
  return value
}

/** Checks a payload survives JSON as it is, so what runs is what was enqueued. */
function jsonPayload(operation: string, payload: unknown): unknown {
  let encoded: string | undefined
  try {
    encoded = JSON.stringify(payload)
  } catch (error) {
    throw invalid(operation, 'payload', `cannot be stored as JSON: ${String(error)}`)
  }
  if (encoded === undefined)
    throw invalid(operation, 'payload', 'cannot be stored as JSON (it is undefined or a function)')
  // PostgreSQL's jsonb refuses NUL; refusing it everywhere keeps the two stores alike.
  if (encoded.includes('\\u0000')) {
    throw invalid(
      operation,
      'payload',
      'contains a NUL character (\\u0000), which cannot be stored',
    )
  }
  return payload
}

export function checkBackoff(
  operation: string,
  backoff: JobBackoff | undefined,
): JobBackoff | undefined {
  if (backoff === undefined) return undefined
  const strategies = ['full', 'equal', 'decorrelated', 'none']
  if (backoff.strategy !== undefined && !strategies.includes(backoff.strategy)) {
    throw invalid(
      operation,
      'backoff.strategy',
      `must be one of ${strategies.join(', ')} (got ${JSON.stringify(backoff.strategy)})`,
    )
  }
  if (backoff.baseMs !== undefined) integer(operation, 'backoff.baseMs', backoff.baseMs, 0)
  if (backoff.capMs !== undefined) integer(operation, 'backoff.capMs', backoff.capMs, 0)
  return backoff
}

function runAtOf(operation: string, options: EnqueueOptions, now: number): number {
  if (options.runAt !== undefined && options.delayMs !== undefined) {
    throw invalid(operation, 'runAt', 'and delayMs cannot both be given')
  }
  if (options.delayMs !== undefined) return now + integer(operation, 'delayMs', options.delayMs, 0)
  if (options.runAt === undefined) return now
  const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt
  if (!Number.isFinite(at))
    throw invalid(operation, 'runAt', `must be a valid time (got ${String(options.runAt)})`)
  return Math.round(at)
}

/** Builds the stored job from what the caller asked for and the job's definition, if known here. */
export function newJob<P>(
  name: string,
  payload: P,
  options: EnqueueOptions,
  definition: JobDefinitionOptions<P> | undefined,
  defaults: JobDefaults,
  now: number,
): NewJob {
  const operation = `enqueue ${name}`
  text('enqueue', 'name', name)
  const merged = { ...jobDefaults, ...defaults, ...definition, ...options }
  const orderKey = options.orderKey ?? definition?.orderBy?.(payload)
  const group =
    options.group ??
    (definition?.concurrency && {
      key: definition.concurrency.key(payload),
      limit: definition.concurrency.limit,
    })
  const unique = options.unique
  if (unique !== undefined && !['reject', 'replace', 'keep-earliest'].includes(unique)) {
    throw invalid(
      operation,
      'unique',
      `must be reject, replace or keep-earliest (got ${JSON.stringify(unique)})`,
    )
  }
  return {
    name,
    payload: jsonPayload(operation, payload),
    runAt: runAtOf(operation, options, now),
    priority: integer(operation, 'priority', merged.priority, -1_000_000),
    maxAttempts: integer(operation, 'maxAttempts', merged.maxAttempts, 1),
    maxRescues: integer(operation, 'maxRescues', merged.maxRescues, 0),
    backoff: checkBackoff(operation, {
      ...jobDefaults.backoff,
      ...definition?.backoff,
      ...options.backoff,
    }),
    ...(options.key !== undefined && { key: text(operation, 'key', options.key) }),
    ...(unique !== undefined && { unique }),
    ...(orderKey !== undefined && { orderKey: text(operation, 'orderKey', orderKey) }),
    ...(group?.key !== undefined && {
      groupKey: text(operation, 'group.key', group.key),
      groupLimit: integer(operation, 'group.limit', group.limit, 1),
    }),
    ...(options.idempotencyKey !== undefined && {
      idempotencyKey: text(operation, 'idempotencyKey', options.idempotencyKey),
    }),
  }
}
