import { createHash } from 'node:crypto'
import type { Redactor } from '../../credentials/index.js'
import type { IdempotencyKeyRef, JobRecord, Store } from '../../stores/index.js'

/** The idempotency scope of async proxy calls: one record per operation id. */
export const operationsScope = 'seamline:proxy-operations'

/** Letters, digits, `_`, `:` and `-`: safe in a URL path and as a Standard Webhooks message id. */
export const operationIdPattern = /^[A-Za-z0-9_:-]{1,128}$/

/**
 * An operation id as its caller owns it: the apps of two proxy tokens may use the same ids, and
 * never reach each other's operations. Without tokens (`owner` '') it is the id itself.
 */
export const ownedId = (operation: string, owner = ''): string =>
  owner === '' ? operation : `${owner}:${operation}`

/**
 * The idempotency key an owned operation id stands for at a provider: the same for the sync and
 * the async path, so both name one call alike.
 */
export const operationKey = (provider: string, owned: string): string =>
  `seamline-${createHash('sha256').update(`${provider}\u0000${owned}`).digest('hex').slice(0, 40)}`

export type OperationStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'dead'

/** The provider's answer, as kept: the body as text, or base64 when it is not UTF-8 text. */
export interface OperationResult {
  status: number
  headers: Record<string, string>
  body: string
  bodyEncoding: 'text' | 'base64'
}

export interface OperationError {
  error: string
  message: string
}

/** What `GET /operations/:id` answers, and what a callback carries. */
export interface OperationView {
  operation: string
  status: OperationStatus
  /** Runs of the call started so far. */
  attempts: number
  result?: OperationResult
  error?: OperationError
}

/** The final outcome, stored once in the operation's record (its response body). */
export type FinalOutcome = Omit<OperationView, 'operation'> & {
  status: 'succeeded' | 'failed' | 'dead'
}

/** The record of an owned operation id. */
export const operationRef = (owned: string): IdempotencyKeyRef => ({
  scope: operationsScope,
  key: owned,
})

// The record's recovery point names the job once it is enqueued: `job:<id>`.
export const jobPoint = (id: string): string => `job:${id}`
const jobIdOf = (point: string): string | undefined =>
  point.startsWith('job:') ? point.slice('job:'.length) : undefined

/** A status while the call has no final outcome, read from its job. */
function pendingView(
  operation: string,
  job: JobRecord | undefined,
  redactor: Redactor,
): OperationView {
  const error = job?.lastError && {
    error: job.lastError.code ?? job.lastError.name,
    message: redactor.redact(job.lastError.message),
  }
  const base = { operation, ...(error && { error }) }
  if (job?.state === 'running') return { ...base, status: 'running', attempts: job.attempts + 1 }
  // A dead letter without a stored outcome: its worker was lost too often to record one.
  if (job?.state === 'dead') return { ...base, status: 'dead', attempts: job.attempts }
  const attempts = job?.attempts ?? 0
  return { ...base, status: attempts > 0 ? 'retrying' : 'queued', attempts }
}

/** The operation as its owner sees it, or undefined when it has none by that id. */
export async function readOperation(
  store: Store,
  redactor: Redactor,
  operation: string,
  owner: string,
): Promise<OperationView | undefined> {
  const record = await store.idempotency.get(operationRef(ownedId(operation, owner)))
  if (!record) return undefined
  if (record.response) return { operation, ...(record.response.body as FinalOutcome) }
  const jobId = jobIdOf(record.recoveryPoint)
  const job = jobId === undefined ? undefined : await store.jobs.get(jobId)
  return pendingView(operation, job, redactor)
}
