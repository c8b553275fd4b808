import { createSealer, keyringFromEnv, encryptionKeysVariable } from '../credentials/index.js'
import type { Redactor, Sealer } from '../credentials/index.js'
import { SeamlineError, isSeamlineError } from '../errors/index.js'
import {
  createTokenManager,
  genericPolicy,
  requestClientCredentials,
  type ConnectionRef,
  type OAuthProvider,
  type TokenManager,
  type TokenPolicyName,
  tokenPolicies,
} from '../oauth/index.js'
import type { Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConfig } from './config-schema.js'
import { authorizationFlow } from './oauth-authorization.js'
import { clientFetch } from './outbound.js'
import { resolveSecret } from './secrets.js'

export type OAuthConfig = NonNullable<GatewayConfig['providers'][string]['oauth']>

export interface ConnectionsOptions {
  config: GatewayConfig
  env: Readonly<Record<string, string | undefined>>
  store: Store
  clock: Clock
  redactor: Redactor
}

/** What a proxied call carries for an OAuth provider: a connection's token, refreshed on 401. */
export interface CallAuth {
  credential: () => Promise<string>
  onUnauthorized: (usedToken: string) => Promise<boolean>
}

export interface GatewayConnections {
  /** The token manager; its `events` tell each refresh and each health change of a connection. */
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
  // Token requests go out through the HTTP client, one attempt each.
  const fetch = clientFetch('oauth', clock)
  const manager = createTokenManager({ store: options.store, sealer, providers, clock, fetch })
  const keepAlive = manager.keepAlive()

  // Client-credentials connections need no user: the first call makes one.
  const pending = new Map<string, Promise<void>>()
  const ensureConnected = (ref: ConnectionRef): Promise<void> => {
    const key = `${ref.provider}\0${ref.connectionId}`
    let flight = pending.get(key)
    flight ??= (async () => {
      if (await options.store.tokens.get(ref)) return
      const tokens = await requestClientCredentials({
        provider: providers[ref.provider]!,
        clock,
        fetch,
      })
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
    ...authorizationFlow({ settings, providers, sealer, manager, clock, fetch }),
    async close() {
      await keepAlive.stop()
      await manager.close()
    },
  }
}
