import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { resolvePolicy } from './policies.js'
import { requestToken, type OAuthProvider, type TokenResponse } from './token-endpoint.js'

/** A PKCE pair (RFC 7636): keep `verifier` with the user's session, send `challenge`. */
export interface Pkce {
  verifier: string
  challenge: string
  method: 'S256'
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** A fresh verifier of 32 random bytes (43 characters) and its S256 challenge. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' }
}

export interface StateOptions {
  /** Signs the state, so a forged or altered one is refused without server-side storage. */
  secret: string | Uint8Array
  clock?: Clock
  /** How long the user has to come back. Default 10 min. */
  ttlMs?: number
}

export interface VerifiedState {
  nonce: string
  expiresAt: number
  /** What was passed to `createState` (e.g. the connection id), as given. */
  data?: string
}

const sign = (secret: string | Uint8Array, text: string): Buffer =>
  createHmac('sha256', secret).update(text).digest()

/**
 * A `state` for an authorization request: a random nonce, an expiry and your `data`, signed with
 * HMAC-SHA256. Also keep the nonce (or the whole state) in the user's session and compare it on
 * return, so a state cannot be replayed into another user's browser.
 */
export function createState(options: StateOptions & { data?: string }): string {
  const clock = options.clock ?? systemClock
  const expiresAt = clock.now() + (options.ttlMs ?? 10 * 60_000)
  const nonce = randomBytes(16).toString('base64url')
  const data = Buffer.from(options.data ?? '', 'utf8').toString('base64url')
  const payload = `${nonce}.${expiresAt}.${data}`
  return `${payload}.${sign(options.secret, payload).toString('base64url')}`
}

function stateInvalid(reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_OAUTH_STATE_INVALID', {
    operation: 'verify',
    target: 'OAuth state',
    reason,
  })
}

/** Checks a returned `state`: signed with `secret`, unaltered and unexpired; else throws. */
export function verifyState(
  state: string | null | undefined,
  options: StateOptions & { expectedNonce?: string },
): VerifiedState {
  if (typeof state !== 'string' || state === '') throw stateInvalid('is missing')
  const parts = state.split('.')
  if (parts.length !== 4) throw stateInvalid('is not a state this app issued')
  const [nonce = '', expires = '', data = '', mac = ''] = parts
  const expected = sign(options.secret, `${nonce}.${expires}.${data}`)
  const given = Buffer.from(mac, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw stateInvalid(
      'failed: its signature does not match (altered, or signed with another secret)',
    )
  }
  const expiresAt = Number(expires)
  const now = (options.clock ?? systemClock).now()
  if (!(now < expiresAt)) throw stateInvalid(`expired at ${new Date(expiresAt).toISOString()}`)
  if (options.expectedNonce !== undefined && options.expectedNonce !== nonce) {
    throw stateInvalid("does not belong to this user's session")
  }
  const decoded = Buffer.from(data, 'base64url').toString('utf8')
  return { nonce, expiresAt, ...(decoded === '' ? {} : { data: decoded }) }
}

export interface AuthorizeUrlOptions {
  provider: Pick<OAuthProvider, 'authorizeUrl' | 'clientId' | 'scopes'>
  redirectUri: string
  state: string
  /** The PKCE challenge (S256); recommended for every client, required for public ones. */
  codeChallenge?: string
  /** Overrides the provider's scopes. */
  scopes?: readonly string[]
  /** Provider-specific parameters, e.g. `{ access_type: 'offline', prompt: 'consent' }` for Google. */
  params?: Readonly<Record<string, string>>
}

/** The URL to send the user to, to authorize the app (RFC 6749 §4.1.1, RFC 7636). */
export function buildAuthorizeUrl(options: AuthorizeUrlOptions): string {
  const { provider } = options
  if (provider.authorizeUrl === undefined) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'buildAuthorizeUrl',
      target: 'provider.authorizeUrl',
      reason: 'is needed to build an authorization URL',
    })
  }
  const url = new URL(provider.authorizeUrl)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', provider.clientId)
  url.searchParams.set('redirect_uri', options.redirectUri)
  url.searchParams.set('state', options.state)
  const scopes = options.scopes ?? provider.scopes
  if (scopes && scopes.length > 0) url.searchParams.set('scope', scopes.join(' '))
  if (options.codeChallenge !== undefined) {
    url.searchParams.set('code_challenge', options.codeChallenge)
    url.searchParams.set('code_challenge_method', 'S256')
  }
  for (const [name, value] of Object.entries(options.params ?? {}))
    url.searchParams.set(name, value)
  return url.toString()
}

/** A token pair as obtained, with its expiry as an absolute time. */
export interface TokenSet {
  accessToken: string
  refreshToken?: string
  /** Epoch ms; from `expires_in` counted from when the request was sent, else the policy's default. */
  expiresAt: number
  /** Whether `expiresAt` was assumed because the response had no `expires_in`. */
  expiresAtAssumed: boolean
  scope?: string
  tokenType?: string
  /** When the refresh token expires, if the response said (epoch ms). */
  refreshTokenExpiresAt?: number
  /** Salesforce's org API base URL. */
  instanceUrl?: string
}

export interface TokenRequestContext {
  clock?: Clock
  fetch?: typeof globalThis.fetch
  /** Default 10 s. */
  timeoutMs?: number
}

/** A token response as a set, its expiry counted from `sentAt` (errs early, never late). */
export function toTokenSet(
  token: TokenResponse,
  sentAt: number,
  provider: Pick<OAuthProvider, 'policy'>,
): TokenSet {
  const assumed = token.expiresInMs === undefined
  const set: TokenSet = {
    accessToken: token.accessToken,
    expiresAt: sentAt + (token.expiresInMs ?? resolvePolicy(provider.policy).accessTokenTtlMs),
    expiresAtAssumed: assumed,
  }
  if (token.refreshToken !== undefined) set.refreshToken = token.refreshToken
  if (token.scope !== undefined) set.scope = token.scope
  if (token.tokenType !== undefined) set.tokenType = token.tokenType
  if (token.refreshTokenExpiresInMs !== undefined) {
    set.refreshTokenExpiresAt = sentAt + token.refreshTokenExpiresInMs
  }
  if (token.instanceUrl !== undefined) set.instanceUrl = token.instanceUrl
  return set
}

async function grant(
  provider: OAuthProvider,
  form: Record<string, string>,
  context: TokenRequestContext,
  what: string,
): Promise<TokenSet> {
  const clock = context.clock ?? systemClock
  const sentAt = clock.now()
  const result = await requestToken(provider, form, {
    clock,
    fetch: context.fetch ?? globalThis.fetch,
    timeoutMs: context.timeoutMs ?? 10_000,
  })
  if (!result.ok) {
    throw new SeamlineError('SEAM_ERR_OAUTH_TOKEN_REQUEST', {
      operation: `POST ${what} to`,
      target: provider.tokenUrl,
      reason: `failed: ${result.failure.message}`,
    })
  }
  return toTokenSet(result.token, sentAt, provider)
}

/** Exchanges an authorization code (with its PKCE verifier) for a token pair. */
export function exchangeCode(
  options: TokenRequestContext & {
    provider: OAuthProvider
    code: string
    redirectUri: string
    codeVerifier?: string
  },
): Promise<TokenSet> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code: options.code,
    redirect_uri: options.redirectUri,
  }
  if (options.codeVerifier !== undefined) form.code_verifier = options.codeVerifier
  return grant(options.provider, form, options, 'authorization_code')
}

/** Gets an app-only access token with the client-credentials grant (RFC 6749 §4.4). */
export function requestClientCredentials(
  options: TokenRequestContext & { provider: OAuthProvider; scopes?: readonly string[] },
): Promise<TokenSet> {
  const form: Record<string, string> = { grant_type: 'client_credentials' }
  const scopes = options.scopes ?? options.provider.scopes
  if (scopes && scopes.length > 0) form.scope = scopes.join(' ')
  return grant(options.provider, form, options, 'client_credentials')
}
