import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redactor } from '../credentials/index.js'
import { isSeamlineError } from '../errors/index.js'
import {
  createClient,
  createLimiter,
  HttpStatusError,
  type Client,
  type ProviderPreset,
  type QuotaStoreFactory,
} from '../http/index.js'
import { circuitBreaker, type CircuitBreaker } from '../policies/index.js'
import { getProvider, providers } from '../providers/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConfig } from './config-schema.js'

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
  /** Told each provider's client and circuit breaker, for metrics and the dashboard. */
  onClient?(provider: string, client: Client, breaker: CircuitBreaker): void
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

/**
 * `/proxy/:provider/*`: the app calls a provider through the gateway without holding its
 * credentials. The gateway injects them, applies the provider's quotas, retries, timeouts,
 * circuit breaker and idempotency key, and reaches only the provider's configured base URL.
 */
export function proxyRoutes(options: ProxyOptions) {
  const { config, credentials, clock, redactor } = options
  const clients = new Map<string, { client: Client; base: URL }>()
  for (const [name, entry] of Object.entries(config.providers)) {
    const preset = presetOf(name, entry)
    const credential = credentials[name]
    const breaker = circuitBreaker({ name, consecutiveFailures: 5, clock })
    const client = createClient({
      ...(preset && { provider: preset }),
      ...(entry.baseUrl !== undefined && { baseUrl: entry.baseUrl }),
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
    const baseUrl = entry.baseUrl ?? preset?.environments[preset.defaultEnvironment]?.baseUrl
    if (baseUrl === undefined || baseUrl.includes('{')) continue
    clients.set(name, { client, base: new URL(baseUrl) })
    options.onClient?.(name, client, breaker)
  }

  const refuse = (reply: FastifyReply, status: number, error: string, message: string) =>
    reply.code(status).send({ error, message })

  return (app: FastifyInstance): Promise<void> => {
    // Bodies pass through as bytes; they are kept whole so a retry can send them again.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? 10 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    )
    app.all('/:provider/*', async (request: FastifyRequest, reply: FastifyReply) => {
      const { provider } = request.params as { provider: string }
      const target = Object.hasOwn(config.providers, provider) ? clients.get(provider) : undefined
      if (!target) {
        return refuse(reply, 404, 'unknown_provider', `no provider ${provider} is configured`)
      }
      const prefix = `/proxy/${encodeURIComponent(provider)}`
      const rawUrl = request.raw.url ?? ''
      const path = rawUrl.startsWith(prefix)
        ? safeUpstreamPath(rawUrl.slice(prefix.length))
        : undefined
      if (path === undefined) {
        return refuse(reply, 400, 'bad_path', 'the path must stay under the provider base URL')
      }
      // The same join the client makes: the path is appended to the base, never resolved.
      const root = target.base.href.endsWith('/') ? target.base.href : `${target.base.href}/`
      const upstream = new URL(root + path.replace(/^\/+/, ''))
      if (
        upstream.origin !== target.base.origin ||
        !upstream.pathname.startsWith(new URL(root).pathname)
      ) {
        return refuse(reply, 400, 'bad_path', 'the path must stay under the provider base URL')
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
            ? `seamline-${createHash('sha256').update(`${provider}\u0000${operation}`).digest('hex').slice(0, 40)}`
            : undefined
      const body =
        request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined
      const abort = new AbortController()
      request.raw.once('close', () => {
        if (!reply.sent) abort.abort()
      })
      try {
        const answer = await target.client.request<AsyncIterable<Uint8Array> | undefined>(
          request.method,
          path,
          {
            headers,
            ...(body && { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }),
            ...(idempotencyKey !== undefined && { idempotencyKey }),
            signal: abort.signal,
            stream: true,
          },
        )
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
        if (!isSeamlineError(error)) throw error
        const status =
          error.code === 'SEAM_ERR_RATE_LIMITED'
            ? 429
            : error.code === 'SEAM_ERR_CIRCUIT_OPEN'
              ? 503
              : error.code === 'SEAM_ERR_TIMEOUT'
                ? 504
                : 502
        const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs
        if (retryAfterMs !== undefined)
          reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)))
        return refuse(reply, status, error.code, redactor.redact(error.message))
      }
    })
    return Promise.resolve()
  }
}
