import { SeamlineError } from '../errors/index.js'
import type { CallOptions, Client, HttpResponse } from '../http/index.js'
import type { JobRecord, Store } from '../stores/index.js'

/** What a handler knows of the job it runs. */
export interface JobInfo {
  id: string
  name: string
  /** 1 on the first run; failures so far plus one. */
  attempt: number
  /** Claims so far, lost leases included. */
  delivery: number
  rescues: number
  /** Root of this job's outbound idempotency keys; the same on every run of the job. */
  idempotencyKey: string
  createdAt: number
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A client whose calls carry keys derived from the job, so no run repeats an effect. */
export interface JobClient {
  request<T = unknown>(
    method: Method,
    path: string,
    options?: CallOptions,
  ): Promise<HttpResponse<T>>
  get<T = unknown>(path: string, options?: CallOptions): Promise<HttpResponse<T>>
  post<T = unknown>(path: string, options?: CallOptions): Promise<HttpResponse<T>>
  put<T = unknown>(path: string, options?: CallOptions): Promise<HttpResponse<T>>
  patch<T = unknown>(path: string, options?: CallOptions): Promise<HttpResponse<T>>
  delete<T = unknown>(path: string, options?: CallOptions): Promise<HttpResponse<T>>
}

export interface JobContext {
  job: JobInfo
  /** Aborted when the job's `timeoutMs` passes or the worker shuts down past its deadline. */
  signal: AbortSignal
  /** A key for one step of the job: the same on every run, different for each step. */
  idempotencyKey(step: string | number): string
  /**
   * The client for `provider`. Each call that changes something (not GET) is sent with the key
   * of its step: `<job key>:<provider>:<n>` for the job's n-th such call to that provider, unless
   * the call names its own `idempotencyKey`. Runs of a job that make their calls in the same
   * order therefore send the same keys, and the provider applies each effect once.
   */
  client(provider: string): JobClient
  /**
   * Marks the job completed inside your transaction (a `pg` client in `BEGIN`, or a
   * better-sqlite3 connection inside `db.transaction(…)`), so your writes and the completion
   * commit together. Throws `SEAM_ERR_JOB_LEASE_LOST` when another worker owns the job now:
   * let it propagate, so your transaction rolls back.
   */
  completeInTx(tx: SqliteConnection): void
  completeInTx(tx: PgConnection): Promise<void>
}

/** A better-sqlite3 connection, as a caller's transaction handle. */
export interface SqliteConnection {
  prepare(source: string): unknown
  readonly inTransaction: boolean
}

/** A `pg` client (or pool client), as a caller's transaction handle. */
export interface PgConnection {
  query(...args: never[]): unknown
}

export type ClientSource = Readonly<Record<string, Client>> | ((provider: string) => Client)

function leaseLost(job: JobRecord): SeamlineError {
  return new SeamlineError('SEAM_ERR_JOB_LEASE_LOST', {
    operation: 'complete',
    target: `job ${job.id} (${job.name})`,
    reason: 'was refused: its lease passed to another worker; roll back this transaction',
  })
}

function clientFor(source: ClientSource | undefined, provider: string): Client {
  const client = typeof source === 'function' ? source(provider) : source?.[provider]
  if (!client) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'ctx.client',
      target: JSON.stringify(provider),
      reason: 'has no client: pass one in createJobs({ clients })',
    })
  }
  return client
}

export interface ContextParts {
  job: JobRecord
  signal: AbortSignal
  store: Store
  clients: ClientSource | undefined
  now: () => number
  /** Completions delete the job's row. */
  removeCompleted: boolean
  /** Called once the job was completed through `completeInTx`. */
  completed: () => void
}

export function jobContext({
  job,
  signal,
  store,
  clients,
  now,
  removeCompleted,
  completed,
}: ContextParts): JobContext {
  const idempotencyKey = (step: string | number): string => `${job.idempotencyKey}:${step}`
  const steps = new Map<string, number>()
  return {
    job: {
      id: job.id,
      name: job.name,
      attempt: job.attempts + 1,
      delivery: job.deliveries,
      rescues: job.rescues,
      idempotencyKey: job.idempotencyKey,
      createdAt: job.createdAt,
    },
    signal,
    idempotencyKey,
    client(provider) {
      const client = clientFor(clients, provider)
      const request = <T>(method: Method, path: string, options: CallOptions = {}) => {
        let key = options.idempotencyKey
        if (key === undefined && method !== 'GET') {
          const step = (steps.get(provider) ?? 0) + 1
          steps.set(provider, step)
          key = idempotencyKey(`${provider}:${step}`)
        }
        return client.request<T>(method, path, {
          ...options,
          ...(key !== undefined && { idempotencyKey: key }),
          signal: options.signal ?? signal,
        })
      }
      return {
        request,
        get: (path, options) => request('GET', path, options),
        post: (path, options) => request('POST', path, options),
        put: (path, options) => request('PUT', path, options),
        patch: (path, options) => request('PATCH', path, options),
        delete: (path, options) => request('DELETE', path, options),
      }
    },
    completeInTx(tx: unknown) {
      const completion = {
        id: job.id,
        delivery: job.deliveries,
        ...(removeCompleted && { remove: true }),
      }
      const done = (ok: boolean): void => {
        if (!ok) throw leaseLost(job)
        completed()
      }
      const result = store.jobs.completeInTx(tx, completion, now())
      return (typeof result === 'boolean' ? done(result) : result.then(done)) as void &
        Promise<void>
    },
  }
}
