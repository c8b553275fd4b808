import type { IncomingHttpHeaders } from 'node:http'
import type { Clock } from '../time/index.js'
import type { OAuthServer } from './oauth.js'
import type { Random } from './random.js'
import type { StatsRecorder } from './stats.js'

/** One request as a profile sees it, body already read. */
export interface SimRequest {
  readonly method: string
  /** The path without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** Path parameters of the matched route (`:id` → `params.id`). */
  readonly params: Readonly<Record<string, string>>
  /** A header's value, the first one when repeated; names are case-insensitive. */
  header(name: string): string | undefined
}

/** What a profile answers. */
export interface SimResponse {
  status: number
  headers?: Record<string, string>
  /** Serialised as JSON unless it is a string. */
  body?: unknown
  /** Present when a mutation's effect happened, with the ids the duplicate counters use. */
  effect?: { idempotencyKey?: string; operation?: string }
}

export interface ProfileContext {
  readonly clock: Clock
  readonly random: Random
  readonly stats: StatsRecorder
  /** The authorization server every profile shares; its access tokens open API routes. */
  readonly oauth: OAuthServer
}

export type Handler = (request: SimRequest) => SimResponse

/** A request let in: call `release` when it ends; `headers` go on its response. */
export type Admission =
  | { refused: SimResponse }
  | { refused?: undefined; release: () => void; headers?: Record<string, string> }

/** A provider's behaviour: its routes behind its own authentication and limits. */
export interface Profile {
  readonly name: string
  /** What a user needs to point an app at the simulator (API key, webhook secret…). */
  readonly credentials: Readonly<Record<string, string>>
  /** The route pattern (`'GET /v1/customers/:id'`) and parameters for a request, if any matches. */
  match(method: string, path: string): { route: string; params: Record<string, string> } | undefined
  /** Authentication and limits, before anything runs; held until the response ends. */
  admit(request: SimRequest, route: string): Admission
  /**
   * Runs the route. `processing` is the request's simulated processing time: a profile awaits it
   * where the work happens, so overlapping requests really overlap (in-flight idempotency keys).
   */
  handle(request: SimRequest, route: string, processing: () => Promise<void>): Promise<SimResponse>
}

export const isMutation = (method: string): boolean =>
  method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE'

export const json = (
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): SimResponse => (headers ? { status, body, headers } : { status, body })

/** The request body as a JSON object, or undefined when it is not one. */
export function jsonBody(request: SimRequest): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(request.body.toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The caller-supplied logical operation id in a JSON body (`operation_id` or `metadata.operation_id`). */
export function operationIn(body: Record<string, unknown> | undefined): { operation?: string } {
  const metadata = body?.metadata as Record<string, unknown> | undefined
  const id = body?.operation_id ?? metadata?.operation_id
  return typeof id === 'string' ? { operation: id } : {}
}
