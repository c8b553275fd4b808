import { createHash } from 'node:crypto'
import type { Clock } from '../time/index.js'
import { json, type Profile, type SimRequest, type SimResponse } from './http.js'
import type { Random } from './random.js'
import { Router } from './router.js'
import type { StatsRecorder } from './stats.js'
import { parseForm } from './form.js'

export type RefreshTokenPolicy = 'non-rotating' | 'rotating' | 'rotating-grace'

export interface OAuthOptions {
  /** Access-token lifetime. Default 1,800 s (30 min). */
  accessTokenSeconds?: number
  /**
   * `non-rotating`: one refresh token for the grant's life. `rotating`: strictly single use; a
   * spent token answers `invalid_grant`. `rotating-grace`: the previous token still works for
   * `graceSeconds` after rotation (as Xero allows). Default `rotating-grace`.
   */
  refreshTokens?: RefreshTokenPolicy
  /** Grace window of the previous refresh token under `rotating-grace`. Default 1,800 s. */
  graceSeconds?: number
  /** Under `rotating`, presenting a spent refresh token revokes the whole grant. */
  revokeGrantOnReuse?: boolean
  /** Leave `expires_in` out of token responses (RFC 6749 only recommends it). */
  omitExpiresIn?: boolean
}

interface Grant {
  refreshToken?: string
  previous?: { token: string; until: number }
  spent: Set<string>
  revoked: boolean
}

interface AccessToken {
  grant: Grant
  expiresAt: number
}

const oauthError = (status: number, error: string, description: string): SimResponse =>
  json(status, { error, error_description: description })

const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url')

/**
 * An OAuth 2.0 authorization server mounted on every profile at `/oauth/authorize` (automatic
 * consent, PKCE) and `/oauth/token` (authorization_code, refresh_token, client_credentials).
 */
export class OAuthServer {
  readonly clientId: string
  readonly clientSecret: string
  readonly routes = new Router()
  #tokens = new Map<string, AccessToken>()
  #byRefresh = new Map<string, Grant>()
  #codes = new Map<
    string,
    { redirectUri: string; challenge?: string; method: string; expiresAt: number }
  >()

  constructor(
    private readonly options: OAuthOptions,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly stats: StatsRecorder,
  ) {
    this.clientId = `client_${random.token(16)}`
    this.clientSecret = `secret_${random.token(32)}`
    this.routes
      .on('GET', '/oauth/authorize', (request) => this.#authorize(request))
      .on('POST', '/oauth/token', (request) => this.#token(request))
  }

  /** Whether a bearer token is a live access token of this server. */
  check(token: string | undefined): 'valid' | 'expired' | 'unknown' {
    const found = token === undefined ? undefined : this.#tokens.get(token)
    if (!found) return 'unknown'
    if (found.grant.revoked || this.clock.now() >= found.expiresAt) return 'expired'
    return 'valid'
  }

  #authorize(request: SimRequest): SimResponse {
    const q = request.query
    const redirectUri = q.get('redirect_uri')
    if (q.get('client_id') !== this.clientId || !redirectUri) {
      return oauthError(400, 'invalid_request', 'client_id and redirect_uri are required')
    }
    if (q.get('response_type') !== 'code') {
      return oauthError(400, 'unsupported_response_type', 'only response_type=code is supported')
    }
    const code = `code_${this.random.token(24)}`
    const challenge = q.get('code_challenge') ?? undefined
    this.#codes.set(code, {
      redirectUri,
      ...(challenge === undefined ? {} : { challenge }),
      method: q.get('code_challenge_method') ?? 'plain',
      expiresAt: this.clock.now() + 10 * 60_000,
    })
    const location = new URL(redirectUri)
    location.searchParams.set('code', code)
    const state = q.get('state')
    if (state !== null) location.searchParams.set('state', state)
    return { status: 302, headers: { location: location.toString() }, body: '' }
  }

  #clientOk(request: SimRequest, form: Record<string, unknown>): boolean {
    const basic = /^basic\s+(\S+)$/i.exec(request.header('authorization') ?? '')?.[1]
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':', 2)
      : [form.client_id, form.client_secret]
    return id === this.clientId && secret === this.clientSecret
  }

  #issue(grant: Grant, refreshToken: string | undefined): SimResponse {
    const seconds = this.options.accessTokenSeconds ?? 1_800
    const accessToken = `at_${this.random.token(32)}`
    this.#tokens.set(accessToken, { grant, expiresAt: this.clock.now() + seconds * 1_000 })
    return json(200, {
      access_token: accessToken,
      token_type: 'Bearer',
      ...(this.options.omitExpiresIn ? {} : { expires_in: seconds }),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    })
  }

  #newRefreshToken(grant: Grant): string {
    const token = `rt_${this.random.token(32)}`
    grant.refreshToken = token
    this.#byRefresh.set(token, grant)
    return token
  }

  #token(request: SimRequest): SimResponse {
    const form = parseForm(request.body.toString('utf8'))
    if (!this.#clientOk(request, form))
      return oauthError(401, 'invalid_client', 'client authentication failed')
    switch (form.grant_type) {
      case 'authorization_code':
        return this.#exchangeCode(form)
      case 'refresh_token':
        this.stats.refreshes++
        return this.#refresh(typeof form.refresh_token === 'string' ? form.refresh_token : '')
      case 'client_credentials':
        return this.#issue({ spent: new Set(), revoked: false }, undefined)
      default:
        return oauthError(
          400,
          'unsupported_grant_type',
          `grant_type ${JSON.stringify(form.grant_type ?? null)} is not supported`,
        )
    }
  }

  #exchangeCode(form: Record<string, unknown>): SimResponse {
    const code = typeof form.code === 'string' ? this.#codes.get(form.code) : undefined
    if (!code || this.clock.now() >= code.expiresAt) {
      return oauthError(400, 'invalid_grant', 'the authorization code is invalid or expired')
    }
    this.#codes.delete(form.code as string) // codes are single use
    if (form.redirect_uri !== code.redirectUri) {
      return oauthError(
        400,
        'invalid_grant',
        'redirect_uri does not match the authorization request',
      )
    }
    if (code.challenge !== undefined) {
      const verifier = typeof form.code_verifier === 'string' ? form.code_verifier : ''
      const expected = code.method === 'S256' ? s256(verifier) : verifier
      if (verifier === '' || expected !== code.challenge) {
        return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge')
      }
    }
    const grant: Grant = { spent: new Set(), revoked: false }
    return this.#issue(grant, this.#newRefreshToken(grant))
  }

  #refresh(token: string): SimResponse {
    const grant = this.#byRefresh.get(token)
    const invalid = oauthError(
      400,
      'invalid_grant',
      'the refresh token is invalid, expired or revoked',
    )
    if (!grant || grant.revoked) return invalid
    const policy = this.options.refreshTokens ?? 'rotating-grace'
    if (policy === 'non-rotating') return this.#issue(grant, token)
    if (token === grant.refreshToken) {
      grant.spent.add(token)
      const graceMs = (this.options.graceSeconds ?? 1_800) * 1_000
      if (policy === 'rotating-grace') grant.previous = { token, until: this.clock.now() + graceMs }
      return this.#issue(grant, this.#newRefreshToken(grant))
    }
    // A refresh token already rotated away.
    if (
      policy === 'rotating-grace' &&
      grant.previous?.token === token &&
      this.clock.now() < grant.previous.until
    ) {
      return this.#issue(grant, grant.refreshToken)
    }
    if (policy === 'rotating' && this.options.revokeGrantOnReuse) grant.revoked = true
    return invalid
  }
}

/** Serves the authorization server's routes beside a profile's, and adds its client credentials. */
export function mountOAuth(profile: Profile, oauth: OAuthServer): Profile {
  return {
    name: profile.name,
    credentials: {
      ...profile.credentials,
      clientId: oauth.clientId,
      clientSecret: oauth.clientSecret,
    },
    match: (method, path) => oauth.routes.match(method, path) ?? profile.match(method, path),
    admit: (request, route) =>
      oauth.routes.match(request.method, request.path)
        ? { release: () => {} }
        : profile.admit(request, route),
    handle: async (request, route, processing) => {
      const own = oauth.routes.match(request.method, request.path)
      if (!own) return profile.handle(request, route, processing)
      await processing()
      return own.handler(request)
    },
  }
}
