import type { FastifyRequest } from 'fastify'
import type { GatewayConnections } from '../oauth-connections.js'
import type { Refusal } from '../refusals.js'
import type { Caller } from './access.js'
import { operationKey, ownedId } from './operations.js'

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
  /** Who made the call: its proxy token's id ('' without tokens). */
  owner: string
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

const badPath: Refusal = {
  status: 400,
  error: 'bad_path',
  message: 'the path must stay under the provider base URL',
}

/** The checked path under `base` for a request to `/proxy/<provider>/…`, or undefined. */
function upstreamPath(request: FastifyRequest, provider: string, base: URL): string | undefined {
  const prefix = `/proxy/${encodeURIComponent(provider)}`
  const rawUrl = request.raw.url ?? ''
  const path = rawUrl.startsWith(prefix) ? safeUpstreamPath(rawUrl.slice(prefix.length)) : undefined
  if (path === undefined) return undefined
  // The same join the client makes: the path is appended to the base, never resolved.
  const { root, rootPath } = rootOf(base)
  const upstream = new URL(root + path.replace(/^\/+/, ''))
  const inside = upstream.origin === base.origin && upstream.pathname.startsWith(rootPath)
  return inside ? path : undefined
}

const roots = new WeakMap<URL, { root: string; rootPath: string }>()

/** The base URL as paths are appended to it, and its path: made once per provider. */
function rootOf(base: URL): { root: string; rootPath: string } {
  let known = roots.get(base)
  if (!known) {
    const root = base.href.endsWith('/') ? base.href : `${base.href}/`
    known = { root, rootPath: new URL(root).pathname }
    roots.set(base, known)
  }
  return known
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The checked call for a request to `/proxy/:provider/*`, or why it is refused. `bases` holds
 * each configured provider's base URL.
 */
export function prepareCall(
  request: FastifyRequest,
  bases: ReadonlyMap<string, URL>,
  connections: GatewayConnections | undefined,
  caller: Caller,
): ProxyCall | Refusal {
  const { provider } = request.params as { provider: string }
  const base = bases.get(provider)
  if (!base) {
    return {
      status: 404,
      error: 'unknown_provider',
      message: `no provider ${provider} is configured`,
    }
  }
  const path = upstreamPath(request, provider, base)
  if (path === undefined) return badPath

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || dropped.has(name) || name.startsWith('x-seamline-')) continue
    if (name === caller.tokenHeader) continue
    headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const operation = header(request, 'x-seamline-operation-id')
  const idempotencyKey =
    header(request, 'idempotency-key') ??
    (operation === undefined ? undefined : operationKey(provider, ownedId(operation, caller.owner)))
  const oauth = connections?.has(provider) ? connections : undefined
  const connection = oauth?.connectionOf(provider, header(request, 'x-seamline-connection'))
  if (oauth && connection === undefined) {
    return {
      status: 400,
      error: 'connection_required',
      message: `name the OAuth connection in X-Seamline-Connection, or set providers.${provider}.oauth.connection`,
    }
  }
  const body = request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined
  return {
    provider,
    method: request.method,
    path,
    headers,
    ...(body && { body: body as Uint8Array }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
    ...(connection !== undefined && { connection }),
    owner: caller.owner,
  }
}
