import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redactor } from '../credentials/index.js'
import { isSeamlineError, SeamlineError } from '../errors/index.js'
import {
  createClient,
  createLimiter,
  HttpStatusError,
  type Client,
  type ClientOptions,
  type HttpResponse,
  type ProviderPreset,
  type QuotaStoreFactory,
} from '../http/index.js'
import { circuitBreaker, type CircuitBreaker } from '../policies/index.js'
import { getProvider, providers } from '../providers/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConfig } from './config-schema.js'
import type { GatewayConnections } from './connections.js'
import { operationKey } from './operations.js'
import { prefersRespondAsync } from './proxy-async.js'

type ProviderConfig = GatewayConfig['providers'][string]

export interface ProxyOptions {
  config: GatewayConfig
  /** Each provider's credential, by provider name (already loaded and checked). */
  credentials: Readonly<Record<string, string | undefined>>
  clock: Clock
  redactor: Redactor
  limitStore?: QuotaStoreFactory
  /** Largest request body passed on. Default 10 MiB. */
  maxBodyBytes?: number
  /** OAuth connections, for providers whose calls carry a connection's token. */
  connections?: GatewayConnections
  /** Told each provider's client and circuit breaker, for metrics and the dashboard. */
  onClient?(provider: string, client: Client, breaker: CircuitBreaker): void
  /** Takes the calls made with `Prefer: respond-async`; without it they are made at once. */
  respondAsync?(request: FastifyRequest, reply: FastifyReply, call: ProxyCall): Promise<unknown>
}

// Hop-by-hop headers, and what the gateway itself decides (host, credentials, length, keys).
const dropped = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'authorization',
  'cookie',
  'idempotency-key',
  'x-seamline-operation-id',
  'accept-encoding',
])
const droppedAnswer = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'set-cookie',
])

// The connection cannot give a token until its user authorizes (again): the app must act.
const oauthRefused = new Set([
  'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND',
  'SEAM_ERR_OAUTH_REAUTH_REQUIRED',
])

// A provider the client refuses (a preset's placeholder without its value) is a configuration
// mistake: named by its key, so the gateway refuses to start.
function clientOf(name: string, options: ClientOptions): Client {
  try {
    return createClient(options)
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
      operation: 'createGateway',
      target: `providers.${name}.${error.target}`,
      reason: `is refused (${error.message})`,
      cause: error,
    })
  }
}

const presetOf = (name: string, entry: ProviderConfig): ProviderPreset | undefined => {
  const preset = entry.preset ?? (Object.hasOwn(providers, name) ? name : undefined)
  return preset === undefined ? undefined : getProvider(preset)
}

/**
 * The path after `/proxy/<provider>`, as sent, when it stays under the provider's base URL:
 * no `.`/`..` segment (raw or percent-encoded), no backslash, no scheme, nothing that could
 * change the host once appended. Undefined when it is refused.
 */
export function safeUpstreamPath(raw: string): string | undefined {
  const [path = '', query] = splitOnce(raw, '?')
  if (path === '') return query === undefined ? '/' : `/?${query}`
  // An empty segment (`//host`) is how an absolute URL would hide in a path: refused anywhere.
  if (!path.startsWith('/') || path.includes('//')) return undefined
  if (/[\\\s]|%5c|%2f|%00/i.test(path)) return undefined
  const segments = path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      return '..'
    }
  })
  if (segments.some((segment) => segment === '.' || segment === '..')) return undefined
  return query === undefined ? path : `${path}?${query}`
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

/** One call for a provider, as the proxy makes it: checked, credential-free, ready to send. */
export interface ProxyCall {
  provider: string
  method: string
  /** The path and query under the provider's base URL, already checked by `safeUpstreamPath`. */
  path: string
  headers: Record<string, string>
  body?: Uint8Array
  idempotencyKey?: string
  /** The OAuth connection whose token the call carries (`X-Seamline-Connection`). */
  connection?: string
}

/** A call the proxy refused before sending it: the status and error the app gets. */
export interface ProxyRefusal {
  status: number
  error: string
  message: string
}

export interface Proxy {
  /** Fastify plugin of `/:provider/*`, registered under `/proxy`. */
  routes: (app: FastifyInstance) => Promise<void>
  /** Sends a prepared call through its provider's client (quota, retries, breaker, credential). */
  send<T>(
    call: ProxyCall,
    options: { signal?: AbortSignal; stream?: boolean },
  ): Promise<HttpResponse<T>>
  /** The refusal the app gets for an error `send` threw, or undefined to let it propagate. */
  refusalOf(error: unknown): (ProxyRefusal & { retryAfterMs?: number }) | undefined
}

/**
 * `/proxy/:provider/*`: the app calls a provider through the gateway without holding its
 * credentials. The gateway injects them, applies the provider's quotas, retries, timeouts,
 * circuit breaker and idempotency key, and reaches only the provider's configured base URL.
 */
export function createProxy(options: ProxyOptions): Proxy {
  const { config, credentials, clock, redactor } = options
  const clients = new Map<string, { client: Client; base: URL }>()
  for (const [name, entry] of Object.entries(config.providers)) {
    const preset = presetOf(name, entry)
    const credential = credentials[name]
    const breaker = circuitBreaker({ name, consecutiveFailures: 5, clock })
    const client = clientOf(name, {
      ...(preset && { provider: preset }),
      ...(entry.baseUrl !== undefined && { baseUrl: entry.baseUrl }),
      ...(entry.params && { params: entry.params }),
      name,
      ...(credential !== undefined && { credential }),
      clock,
      ...(entry.limits && {
        limiter: createLimiter({
          quotas: entry.limits.map(({ name: quota, limit, windowMs }) => ({
            name: quota,
            limit,
            ...(windowMs !== undefined && { windowMs }),
          })),
          clock,
          name: `gateway:proxy:${name}`,
          ...(options.limitStore && { store: options.limitStore }),
        }),
      }),
      ...(!entry.limits && options.limitStore && { limits: { store: options.limitStore } }),
      policies: [breaker],
    })
    clients.set(name, { client, base: new URL(client.baseUrl) })
    options.onClient?.(name, client, breaker)
  }

  /** The checked call for a request, or why it is refused. */
  const prepare = (request: FastifyRequest): ProxyCall | ProxyRefusal => {
    const { provider } = request.params as { provider: string }
    const target = Object.hasOwn(config.providers, provider) ? clients.get(provider) : undefined
    if (!target) {
      return {
        status: 404,
        error: 'unknown_provider',
        message: `no provider ${provider} is configured`,
      }
    }
    const badPath = {
      status: 400,
      error: 'bad_path',
      message: 'the path must stay under the provider base URL',
    }
    const prefix = `/proxy/${encodeURIComponent(provider)}`
    const rawUrl = request.raw.url ?? ''
    const path = rawUrl.startsWith(prefix)
      ? safeUpstreamPath(rawUrl.slice(prefix.length))
      : undefined
    if (path === undefined) return badPath
    // The same join the client makes: the path is appended to the base, never resolved.
    const root = target.base.href.endsWith('/') ? target.base.href : `${target.base.href}/`
    const upstream = new URL(root + path.replace(/^\/+/, ''))
    if (
      upstream.origin !== target.base.origin ||
      !upstream.pathname.startsWith(new URL(root).pathname)
    ) {
      return badPath
    }

    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || dropped.has(name) || name.startsWith('x-seamline-')) continue
      headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    const given = request.headers['idempotency-key']
    const operation = request.headers['x-seamline-operation-id']
    const idempotencyKey =
      typeof given === 'string' && given !== ''
        ? given
        : typeof operation === 'string' && operation !== ''
          ? operationKey(provider, operation)
          : undefined
    const named = request.headers['x-seamline-connection']
    const oauth = options.connections?.has(provider) ? options.connections : undefined
    const connection = oauth?.connectionOf(
      provider,
      typeof named === 'string' && named !== '' ? named : undefined,
    )
    if (oauth && connection === undefined) {
      return {
        status: 400,
        error: 'connection_required',
        message: `name the OAuth connection in X-Seamline-Connection, or set providers.${provider}.oauth.connection`,
      }
    }
    const body =
      request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined
    return {
      provider,
      method: request.method,
      path,
      headers,
      ...(body && { body: body as Uint8Array }),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
      ...(connection !== undefined && { connection }),
    }
  }

  const send: Proxy['send'] = (call, { signal, stream }) => {
    const target = clients.get(call.provider)
    if (!target) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'proxy',
        target: `provider ${call.provider}`,
        reason: 'is not configured',
      })
    }
    return target.client.request(call.method, call.path, {
      headers: call.headers,
      ...(call.body && { body: call.body }),
      ...(call.idempotencyKey !== undefined && { idempotencyKey: call.idempotencyKey }),
      ...(signal && { signal }),
      ...(stream && { stream }),
      ...(call.connection !== undefined &&
        options.connections?.auth({ provider: call.provider, connectionId: call.connection })),
    })
  }

  const refusalOf: Proxy['refusalOf'] = (error) => {
    if (!isSeamlineError(error)) return undefined
    const status = oauthRefused.has(error.code)
      ? 401
      : error.code === 'SEAM_ERR_RATE_LIMITED'
        ? 429
        : error.code === 'SEAM_ERR_CIRCUIT_OPEN'
          ? 503
          : error.code === 'SEAM_ERR_TIMEOUT'
            ? 504
            : 502
    const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs
    return {
      status,
      error: error.code,
      message: redactor.redact(error.message),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    }
  }

  const refuse = (reply: FastifyReply, refusal: ProxyRefusal & { retryAfterMs?: number }) => {
    if (refusal.retryAfterMs !== undefined)
      reply.header('retry-after', String(Math.ceil(refusal.retryAfterMs / 1000)))
    return reply.code(refusal.status).send({ error: refusal.error, message: refusal.message })
  }

  const routes = (app: FastifyInstance): Promise<void> => {
    // Bodies pass through as bytes; they are kept whole so a retry can send them again.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? 10 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    )
    app.all('/:provider/*', async (request: FastifyRequest, reply: FastifyReply) => {
      const call = prepare(request)
      if ('error' in call) return refuse(reply, call)
      if (options.respondAsync && prefersRespondAsync(request.headers.prefer)) {
        return options.respondAsync(request, reply, call)
      }
      const abort = new AbortController()
      request.raw.once('close', () => {
        if (!reply.sent) abort.abort()
      })
      try {
        const answer = await send<AsyncIterable<Uint8Array> | undefined>(call, {
          signal: abort.signal,
          stream: true,
        })
        reply.code(answer.status)
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!droppedAnswer.has(name)) reply.header(name, value)
        }
        return reply.send(answer.body ? Readable.from(answer.body) : '')
      } catch (error) {
        if (error instanceof HttpStatusError) {
          // The provider's own answer, as it gave it: the app judges its 4xx.
          reply.code(error.status)
          for (const [name, value] of Object.entries(error.headers)) {
            if (!droppedAnswer.has(name) && name !== 'content-encoding') reply.header(name, value)
          }
          const text =
            typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? null)
          return reply.send(text)
        }
        const refusal = refusalOf(error)
        if (!refusal) throw error
        return refuse(reply, refusal)
      }
    })
    return Promise.resolve()
  }
  return { routes, send, refusalOf }
}
