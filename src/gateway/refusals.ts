import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { Redactor } from '../credentials/index.js'
import { isSeamlineError, type ErrorCode } from '../errors/index.js'
import type { ProviderError } from '../http/index.js'

/**
 * The HTTP status of every error code, wherever in the gateway it arises: the proxy, the admin
 * API, the OAuth routes. The status says who must act: 4xx the caller, 502/503/504 the provider
 * or the path to it, 500 the gateway's own set-up.
 */
export const statusOfCode = {
  SEAM_ERR_INVALID_ARGUMENT: 400,
  SEAM_ERR_WEBHOOK_SIGNATURE_MISSING: 401,
  SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED: 401,
  SEAM_ERR_WEBHOOK_SIGNATURE_INVALID: 401,
  SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE: 401,
  SEAM_ERR_TIMEOUT: 504,
  SEAM_ERR_RETRIES_EXHAUSTED: 502,
  SEAM_ERR_RATE_LIMITED: 429,
  SEAM_ERR_CIRCUIT_OPEN: 503,
  SEAM_ERR_BULKHEAD_FULL: 503,
  SEAM_ERR_HTTP_STATUS: 502,
  SEAM_ERR_NETWORK: 502,
  SEAM_ERR_MALFORMED_RESPONSE: 502,
  SEAM_ERR_JOB_CONFLICT: 409,
  SEAM_ERR_JOB_NOT_FOUND: 404,
  SEAM_ERR_JOB_LEASE_LOST: 409,
  SEAM_ERR_STORE_MIGRATION: 500,
  SEAM_ERR_STORE_TRANSACTION: 500,
  SEAM_ERR_CREDENTIAL_MISSING: 500,
  SEAM_ERR_CREDENTIAL_MISPLACED: 500,
  SEAM_ERR_CREDENTIAL_MALFORMED: 500,
  SEAM_ERR_CREDENTIAL_SOURCE: 500,
  SEAM_ERR_ENCRYPTION_KEY_INVALID: 500,
  SEAM_ERR_ENCRYPTION_REQUIRED: 500,
  SEAM_ERR_ENCRYPTION_KEY_UNKNOWN: 500,
  SEAM_ERR_DECRYPT_FAILED: 500,
  SEAM_ERR_SEALED_VALUE_MALFORMED: 500,
  // The connection cannot give a token until its user authorizes (again): as a provider would
  // answer a call without a valid credential.
  SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND: 401,
  SEAM_ERR_OAUTH_REAUTH_REQUIRED: 401,
  SEAM_ERR_OAUTH_REFRESH_FAILED: 502,
  SEAM_ERR_OAUTH_REFRESH_TIMEOUT: 504,
  SEAM_ERR_OAUTH_STATE_INVALID: 400,
  SEAM_ERR_OAUTH_AUTHORIZATION_DENIED: 403,
  SEAM_ERR_OAUTH_TOKEN_REQUEST: 502,
  SEAM_ERR_CONFIG_INVALID: 500,
  SEAM_ERR_CONFIG_LOAD: 500,
  SEAM_ERR_WEBHOOK_DELIVERY_FAILED: 502,
  SEAM_ERR_RECONCILE_UNSORTED: 500,
  SEAM_ERR_RECONCILE_DUPLICATE_KEY: 500,
  SEAM_ERR_RECONCILE_RECORD: 500,
  SEAM_ERR_RECONCILE_SOURCE: 500,
  SEAM_ERR_RECONCILE_NOT_FOUND: 404,
} as const satisfies Record<ErrorCode, number>

/** A request the gateway refuses: the status, and the JSON body `{ error, message | problems }`. */
export interface Refusal {
  status: number
  /** A stable word: an error code, or a snake_case reason (`unknown_provider`). */
  error: string
  message?: string
  /** What is wrong with a request that does not validate, each named by its path. */
  problems?: string[]
  /** Sent as `Retry-After`, in whole seconds rounded up. */
  retryAfterMs?: number
}

/** Thrown by a route whose request does not validate: answered 400 with every problem. */
export class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super('bad request')
  }
}

/** The value, as the schema reads it; a `BadRequest` naming every problem otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  throw new BadRequest(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  )
}

/** The refusal a thrown error stands for, its message redacted; undefined for an unknown error. */
export function refusalOf(error: unknown, redactor: Redactor): Refusal | undefined {
  if (error instanceof BadRequest) {
    return { status: 400, error: 'bad_request', problems: error.problems }
  }
  if (isSeamlineError(error)) {
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs
    return {
      status: statusOfCode[error.code],
      error: error.code,
      message: redactor.redact(error.message),
      ...(typeof retryAfterMs === 'number' && { retryAfterMs }),
    }
  }
  // Fastify's own refusals (a body too large, JSON that does not parse), in the gateway's words.
  const status = (error as Partial<FastifyError> | null)?.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const reason = (STATUS_CODES[status] ?? 'bad request').toLowerCase().replace(/\W+/g, '_')
    return { status, error: reason, message: (error as Error).message }
  }
  return undefined
}

/** How a provider words an error (its preset's `errorBody`), for refusals made in its name. */
export type Wording = (error: ProviderError) => unknown

/**
 * Sends a refusal: every refusal the gateway makes goes out through here, as `{ error, message }`
 * or, for a call to a provider, in that provider's own words, so its SDK can read it.
 */
export function refuse(reply: FastifyReply, refusal: Refusal, wording?: Wording): FastifyReply {
  const { status, retryAfterMs, ...body } = refusal
  if (retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)))
  if (!wording) return reply.code(status).send(body)
  const message = body.message ?? body.problems?.join('; ') ?? body.error
  return reply.code(status).send(wording({ status, code: body.error, message }))
}

// What escapes a route unexplained is the gateway's own failure: its cause goes to the log,
// not to the caller.
const failed: Refusal = {
  status: 500,
  error: 'internal_error',
  message: 'the gateway could not answer this request; its log holds the cause',
}

/**
 * The gateway's one error handler: a known error is refused with its status (in a provider's
 * words, where `wordingOf` gives them). The gateway's own failures (a 5xx, or an error it does
 * not know) are logged at error level with their code and causes.
 */
export function errorHandler(
  redactor: Redactor,
  wordingOf: (request: FastifyRequest) => Wording | undefined = () => undefined,
) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = refusalOf(error, redactor) ?? failed
    if (refusal.status >= 500) request.log.error({ err: error }, 'request failed')
    return refuse(reply, refusal, wordingOf(request))
  }
}
