import { createSealer, keyringFromEnv, encryptionKeysVariable } from '../credentials/index.js'
import type { Redactor, Sealer } from '../credentials/index.js'
import { SeamlineError, isSeamlineError } from '../errors/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  createTokenManager,
  exchangeCode,
  genericPolicy,
  requestClientCredentials,
  type ConnectionRef,
  type OAuthAlert,
  type OAuthProvider,
  type TokenManager,
  type TokenPolicyName,
  tokenPolicies,
} from '../oauth/index.js'
import type { Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConfig } from './config-schema.js'
import { resolveSecret } from './secrets.js'

type OAuthConfig = NonNullable<GatewayConfig['providers'][string]['oauth']>

export interface ConnectionsOptions {
  config: GatewayConfig
  env: Readonly<Record<string, string | undefined>>
  store: Store
  clock: Clock
  redactor: Redactor
  /** Each health change of a connection (logged by the gateway). */
  onAlert(alert: OAuthAlert): void
}

/** What a proxied call carries for an OAuth provider: a connection's token, refreshed on 401. */
export interface CallAuth {
  credential: () => Promise<string>
  onUnauthorized: (usedToken: string) => Promise<boolean>
}

export interface GatewayConnections {
  readonly manager: TokenManager
  /** Whether calls to `provider` carry an OAuth connection's token. */
  has(provider: string): boolean
  /** The connection a call to `provider` uses: the one it names, else the configured default. */
  connectionOf(provider: string, named: string | undefined): string | undefined
  auth(ref: ConnectionRef): CallAuth
  /** The URL to send a user to, to connect `ref`; the callback comes back to `callbackUrl`. */
  authorizeUrl(ref: ConnectionRef, options: { callbackUrl: string; returnTo?: string }): string
  /** Completes an authorization at the callback: the connection it made, and where to go next. */
  complete(
    provider: string,
    query: { code?: string; state?: string; error?: string },
  ): Promise<{ ref: ConnectionRef; returnTo?: string }>
  close(): Promise<void>
}

const stateTtlMs = 10 * 60_000
const stateAad = (provider: string) => `seamline:oauth-state:${provider}`

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'connect', target, reason })
}

/** The sealer of OAuth tokens: a keyring is required, since tokens are credentials. */
function sealerOf(env: ConnectionsOptions['env']): Sealer {
  const keyring = keyringFromEnv(env)
  if (keyring === undefined) {
    throw new SeamlineError('SEAM_ERR_ENCRYPTION_REQUIRED', {
      operation: 'createGateway',
      target: 'providers.<name>.oauth',
      reason: `refused: OAuth tokens are stored sealed; set ${encryptionKeysVariable} (see docs/credentials.md)`,
    })
  }
  return createSealer({ profile: 'production', keyring })
}

function providerOf(name: string, oauth: OAuthConfig, options: ConnectionsOptions): OAuthProvider {
  const read = (variable: string, key: string) =>
    resolveSecret(options.env, variable, `providers.${name}.oauth.${key}`)
  const clientSecret = read(oauth.clientSecret, 'clientSecret')
  options.redactor.addSecret(clientSecret)
  const named = oauth.policy ?? name
  return {
    tokenUrl: oauth.tokenUrl,
    ...(oauth.authorizeUrl !== undefined && { authorizeUrl: oauth.authorizeUrl }),
    clientId: read(oauth.clientId, 'clientId'),
    clientSecret,
    policy: !Object.hasOwn(tokenPolicies, named) ? genericPolicy : (named as TokenPolicyName),
    grant: oauth.grant,
    ...(oauth.scopes && { scopes: oauth.scopes }),
  }
}

/**
 * The gateway's OAuth side: one token manager for every provider with `oauth`, the
 * authorization flow that creates connections (state sealed with the encryption key, so any
 * gateway process can complete what another began), and client-credentials connections made on
 * first use.
 */
export function createConnections(options: ConnectionsOptions): GatewayConnections | undefined {
  const configured = Object.entries(options.config.providers).flatMap(([name, entry]) =>
    entry.oauth ? [[name, entry.oauth] as const] : [],
  )
  if (configured.length === 0) return undefined
  const sealer = sealerOf(options.env)
  const settings = new Map<string, OAuthConfig>(configured)
  const providers = Object.fromEntries(
    configured.map(([name, oauth]) => [name, providerOf(name, oauth, options)]),
  )
  const { clock } = options
  const manager = createTokenManager({
    store: options.store,
    sealer,
    providers,
    clock,
    alerts: { log: (alert) => options.onAlert(alert) },
  })
  const keepAlive = manager.keepAlive()

  // Client-credentials connections need no user: the first call makes one.
  const pending = new Map<string, Promise<void>>()
  const ensureConnected = (ref: ConnectionRef): Promise<void> => {
    const key = `${ref.provider}\0${ref.connectionId}`
    let flight = pending.get(key)
    flight ??= (async () => {
      if (await options.store.tokens.get(ref)) return
      const tokens = await requestClientCredentials({ provider: providers[ref.provider]!, clock })
      await manager.connect(ref, tokens)
    })().finally(() => pending.delete(key))
    pending.set(key, flight)
    return flight
  }

  const token = async (ref: ConnectionRef): Promise<string> => {
    try {
      return await manager.getAccessToken(ref)
    } catch (error) {
      const clientCredentials = settings.get(ref.provider)?.grant === 'client_credentials'
      if (
        !clientCredentials ||
        !isSeamlineError(error) ||
        error.code !== 'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND'
      )
        throw error
      await ensureConnected(ref)
      return manager.getAccessToken(ref)
    }
  }

  return {
    manager,
    has: (provider) => settings.has(provider),
    connectionOf(provider, named) {
      const oauth = settings.get(provider)
      return (
        named ??
        oauth?.connection ??
        (oauth?.grant === 'client_credentials' ? 'default' : undefined)
      )
    },
    auth: (ref) => ({
      credential: () => token(ref),
      onUnauthorized: (used) => manager.onUnauthorized(ref, used),
    }),
    authorizeUrl(ref, { callbackUrl, returnTo }) {
      const oauth = settings.get(ref.provider)
      if (!oauth) throw invalid(`provider ${ref.provider}`, 'has no oauth configured')
      if (oauth.grant !== 'refresh_token') {
        throw invalid(
          `providers.${ref.provider}.oauth.grant`,
          'is client_credentials: its connections need no user to authorize them',
        )
      }
      const redirectUri = oauth.redirectUrl ?? callbackUrl
      const pkce = createPkce()
      const state = sealer.seal(
        JSON.stringify({
          c: ref.connectionId,
          v: pkce.verifier,
          r: redirectUri,
          ...(returnTo !== undefined && { t: returnTo }),
          e: clock.now() + stateTtlMs,
        }),
        stateAad(ref.provider),
      )
      return buildAuthorizeUrl({
        provider: providers[ref.provider]!,
        redirectUri,
        state: Buffer.from(state).toString('base64url'),
        codeChallenge: pkce.challenge,
      })
    },
    async complete(provider, query) {
      const stateInvalid = (reason: string) =>
        new SeamlineError('SEAM_ERR_OAUTH_STATE_INVALID', {
          operation: 'connect',
          target: 'OAuth state',
          reason,
        })
      if (!settings.has(provider)) throw invalid(`provider ${provider}`, 'has no oauth configured')
      if (query.error !== undefined) {
        throw new SeamlineError('SEAM_ERR_OAUTH_AUTHORIZATION_DENIED', {
          operation: 'connect',
          target: `provider ${provider}`,
          reason: `failed: the provider answered ${query.error}`,
        })
      }
      if (!query.state) throw stateInvalid('is missing')
      let saved: { c: string; v: string; r: string; t?: string; e: number }
      try {
        const sealed = Buffer.from(query.state, 'base64url').toString('utf8')
        saved = JSON.parse(sealer.open(sealed, stateAad(provider))) as typeof saved
      } catch {
        throw stateInvalid('is not a state this gateway issued for this provider')
      }
      if (clock.now() > saved.e) throw stateInvalid('has expired; start the authorization again')
      if (!query.code) throw invalid('code', 'is missing from the callback')
      const tokens = await exchangeCode({
        provider: providers[provider]!,
        code: query.code,
        redirectUri: saved.r,
        codeVerifier: saved.v,
        clock,
      })
      const ref = { provider, connectionId: saved.c }
      await manager.connect(ref, tokens)
      return { ref, ...(saved.t !== undefined && { returnTo: saved.t }) }
    },
    async close() {
      await keepAlive.stop()
      await manager.close()
    },
  }
}
