import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AuthScheme, ProviderPreset } from '../../http/index.js'
import { tokenDigest } from '../admin-token.js'
import { refuse, type Refusal } from '../refusals.js'

/** Who a proxied call comes from: the token it carried, by a digest of it ('' without tokens). */
export interface Caller {
  owner: string
  /** The header the token came in, dropped before the call goes on. */
  tokenHeader?: string
}

export interface AccessOptions {
  /** The tokens a call may carry; none when `allowUnauthenticated`. */
  tokens: readonly string[]
  allowUnauthenticated: boolean
  /** Browser origins whose pages may call the proxy. */
  allowedOrigins: readonly string[]
  /** Names the proxy answers to besides loopback. */
  hostnames: readonly string[]
}

const loopback = ['localhost', '127.0.0.1', '::1', '[::1]']
// TRACE echoes what it is sent, credentials included; CONNECT would make a tunnel of the proxy.
const refusedMethods = new Set(['TRACE', 'CONNECT'])

/** The token where SDKs put their key: `Authorization` (Bearer, token, Basic's user) or the provider's key header. */
function presented(
  request: FastifyRequest,
  auth: AuthScheme | undefined,
): { token: string; header: string } | undefined {
  if (auth?.kind === 'header') {
    const value = request.headers[auth.name]
    if (typeof value === 'string' && value !== '') return { token: value, header: auth.name }
  }
  const match = /^(bearer|token|basic)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  if (!match) return undefined
  const [, scheme, value] = match as unknown as [string, string, string]
  if (scheme.toLowerCase() !== 'basic') return { token: value, header: 'authorization' }
  const [user = '', password = ''] = Buffer.from(value, 'base64').toString('utf8').split(':')
  return { token: user || password, header: 'authorization' }
}

/**
 * Who may call the proxy: a request must name the gateway by a loopback or configured host
 * (so a page cannot rebind a name to it), come from no page or an allowed origin, use a method
 * that forwards, and carry a proxy token. Refused otherwise, before anything is sent.
 */
export function proxyAccess(options: AccessOptions) {
  const hosts = new Set([...loopback, ...options.hostnames.map((name) => name.toLowerCase())])
  const origins = new Set(options.allowedOrigins)
  const tokens = options.tokens.map((token) => {
    const digest = tokenDigest(token)
    return { digest, owner: digest.toString('hex').slice(0, 16) }
  })

  return (request: FastifyRequest, auth: AuthScheme | undefined): Caller | Refusal => {
    if (refusedMethods.has(request.method)) {
      return {
        status: 405,
        error: 'method_not_allowed',
        message: `${request.method} is not proxied`,
      }
    }
    if (!hosts.has(request.hostname.toLowerCase())) {
      return {
        status: 403,
        error: 'host_not_allowed',
        message: `the proxy does not answer to ${request.hostname}: add it to server.hostnames`,
      }
    }
    const origin = request.headers.origin
    if (origin !== undefined && !origins.has(origin)) {
      return {
        status: 403,
        error: 'origin_not_allowed',
        message: `pages of ${origin} may not call the proxy: add the origin to proxy.allowedOrigins`,
      }
    }
    if (tokens.length === 0 && options.allowUnauthenticated) return { owner: '' }
    const given = presented(request, auth)
    const asked = given && tokenDigest(given.token)
    const found = asked && tokens.find((token) => timingSafeEqual(token.digest, asked))
    if (!given || !found) {
      return {
        status: 401,
        error: 'proxy_token_required',
        message:
          'send a proxy token where your SDK sends its API key (Authorization: Bearer <token>)',
      }
    }
    return { owner: found.owner, tokenHeader: given.header }
  }
}

/**
 * Checks every request of the egress scope before its body is read (a stranger's call costs no
 * buffering), refusing in the words of the provider it names; returns who each accepted one
 * comes from.
 */
export function guardProxy(
  app: FastifyInstance,
  options: AccessOptions & { presetOf: (request: FastifyRequest) => ProviderPreset | undefined },
): (request: FastifyRequest) => Caller {
  if (options.allowUnauthenticated && options.tokens.length === 0) {
    app.log.warn(
      'the proxy takes calls without a token: any process that reaches it spends the credentials (proxy.allowUnauthenticated)',
    )
  }
  const access = proxyAccess(options)
  const callers = new WeakMap<FastifyRequest, Caller>()
  app.addHook('onRequest', async (request, reply) => {
    const preset = options.presetOf(request)
    const caller = access(request, preset?.auth)
    if ('error' in caller) return refuse(reply, caller, preset?.errorBody)
    callers.set(request, caller)
  })
  return (request) => callers.get(request) ?? { owner: '' }
}
