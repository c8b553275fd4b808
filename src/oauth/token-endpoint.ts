import { parseRateLimitHeaders } from '../limits/index.js'
import type { Clock } from '../time/index.js'
import {
  resolvePolicy,
  type TokenEndpointAuth,
  type TokenPolicy,
  type TokenPolicyName,
} from './policies.js'

/** One OAuth provider as the app registered with it. */
export interface OAuthProvider {
  tokenUrl: string
  /** Needed only to build authorization URLs. */
  authorizeUrl?: string
  clientId: string
  clientSecret?: string
  /** The provider's token rules: a name from `tokenPolicies` or a policy of your own. */
  policy?: TokenPolicy | TokenPolicyName
  /** How a connection gets a new access token. Default `refresh_token`. */
  grant?: 'refresh_token' | 'client_credentials'
  /** Asked for in authorization URLs and client-credentials requests. */
  scopes?: readonly string[]
  /** Overrides the policy's client authentication. */
  tokenEndpointAuth?: TokenEndpointAuth
}

/** A token response, with `expires_in` as given (undefined when left out). */
export interface TokenResponse {
  accessToken: string
  refreshToken?: string
  expiresInMs?: number
  scope?: string
  tokenType?: string
  /** `refresh_token_expires_in` (GitHub) or `x_refresh_token_expires_in` (Intuit), when given. */
  refreshTokenExpiresInMs?: number
  /** Salesforce's `instance_url`: the base URL of the org's API. */
  instanceUrl?: string
}

/**
 * Why a token request failed. `grant`: the grant or refresh token is refused (`invalid_grant`…),
 * only a new authorization helps. `transient`: network, timeout, 5xx or 429; trying again later
 * may work. `client`: the app's own credentials or request are refused; a person must fix them.
 */
export interface TokenFailure {
  kind: 'grant' | 'transient' | 'client'
  /** The OAuth `error`, or `network`, `timeout`, `http_<status>`, `malformed_response`. */
  code: string
  message: string
  status?: number
  retryAfterMs?: number
}

export type TokenResult = { ok: true; token: TokenResponse } | { ok: false; failure: TokenFailure }

export interface TokenRequestOptions {
  clock: Clock
  fetch: typeof globalThis.fetch
  timeoutMs: number
}

// RFC 6749 §5.2 and what providers send in practice; `invalid_token` is not in the RFC but
// refresh endpoints answer it for revoked tokens.
const grantErrors = new Set(['invalid_grant', 'invalid_token', 'unauthorized_client'])

function parseBody(text: string, type: string): Record<string, unknown> | undefined {
  try {
    if (/json/i.test(type) || /^\s*\{/.test(text)) {
      const value = JSON.parse(text) as unknown
      return value !== null && typeof value === 'object'
        ? (value as Record<string, unknown>)
        : undefined
    }
    // GitHub answers form-encoded unless asked for JSON; some old endpoints still do.
    return Object.fromEntries(new URLSearchParams(text))
  } catch {
    return undefined
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

function toToken(body: Record<string, unknown>): TokenResponse | undefined {
  const accessToken = text(body.access_token)
  if (accessToken === undefined) return undefined
  const expiresIn = Number(body.expires_in)
  const token: TokenResponse = { accessToken }
  const refreshToken = text(body.refresh_token)
  if (refreshToken !== undefined) token.refreshToken = refreshToken
  if (body.expires_in !== undefined && body.expires_in !== null && Number.isFinite(expiresIn)) {
    token.expiresInMs = expiresIn * 1_000
  }
  const scope = text(body.scope)
  if (scope !== undefined) token.scope = scope
  const tokenType = text(body.token_type)
  if (tokenType !== undefined) token.tokenType = tokenType
  const refreshExpiresIn = Number(body.refresh_token_expires_in ?? body.x_refresh_token_expires_in)
  if (Number.isFinite(refreshExpiresIn) && refreshExpiresIn > 0) {
    token.refreshTokenExpiresInMs = refreshExpiresIn * 1_000
  }
  const instanceUrl = text(body.instance_url)
  if (instanceUrl !== undefined) token.instanceUrl = instanceUrl
  return token
}

/**
 * Posts a grant to the provider's token endpoint once and says what came of it. It is never
 * retried here: a retried refresh under single-use rotation would spend the token twice.
 */
export async function requestToken(
  provider: OAuthProvider,
  form: Record<string, string>,
  options: TokenRequestOptions,
): Promise<TokenResult> {
  const auth = provider.tokenEndpointAuth ?? resolvePolicy(provider.policy).tokenEndpointAuth
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  const body = new URLSearchParams(form)
  if (auth === 'client_secret_basic' && provider.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: both parts form-encoded before base64.
    const user = encodeURIComponent(provider.clientId)
    const secret = encodeURIComponent(provider.clientSecret)
    headers.authorization = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
  } else {
    body.set('client_id', provider.clientId)
    if (provider.clientSecret !== undefined) body.set('client_secret', provider.clientSecret)
  }
  const controller = new AbortController()
  const cancel = options.clock.after(options.timeoutMs, () => controller.abort())
  let response: Response
  let raw: string
  try {
    response = await options.fetch(provider.tokenUrl, {
      method: 'POST',
      headers,
      body: body.toString(),
      signal: controller.signal,
    })
    raw = await response.text()
  } catch (error) {
    const timedOut = controller.signal.aborted
    return {
      ok: false,
      failure: {
        kind: 'transient',
        code: timedOut ? 'timeout' : 'network',
        message: timedOut
          ? `no answer within ${options.timeoutMs} ms`
          : `no answer (${(error as { cause?: { code?: string } }).cause?.code ?? String(error)})`,
      },
    }
  } finally {
    cancel()
  }
  const parsed = parseBody(raw, response.headers.get('content-type') ?? '')
  const status = response.status
  if (status >= 200 && status < 300) {
    const token = parsed && toToken(parsed)
    if (token) return { ok: true, token }
    return {
      ok: false,
      failure: {
        kind: 'transient',
        code: 'malformed_response',
        message: `answered ${status} without an access token`,
        status,
      },
    }
  }
  const headerMap: Record<string, string> = {}
  response.headers.forEach((value, name) => (headerMap[name] = value))
  const retryAfterMs = parseRateLimitHeaders(headerMap, { now: options.clock.now() }).retryAfterMs
  const error = text(parsed?.error)
  const description = text(parsed?.error_description)
  const message = `answered ${status}${error ? ` ${error}` : ''}${description ? `: ${description}` : ''}`
  const kind: TokenFailure['kind'] =
    status === 429 || status >= 500 || status === 408
      ? 'transient'
      : error !== undefined && grantErrors.has(error)
        ? 'grant'
        : 'client'
  return {
    ok: false,
    failure: {
      kind,
      code: error ?? `http_${status}`,
      message,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  }
}
