import type { Sealer } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import {
  buildAuthorizeUrl,
  createPkce,
  exchangeCode,
  type ConnectionRef,
  type OAuthProvider,
  type TokenManager,
} from '../oauth/index.js'
import type { Clock } from '../time/index.js'
import type { GatewayConnections, OAuthConfig } from './oauth-connections.js'

const stateTtlMs = 10 * 60_000
const stateAad = (provider: string) => `seamline:oauth-state:${provider}`

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'connect', target, reason })
}

const stateInvalid = (reason: string) =>
  new SeamlineError('SEAM_ERR_OAUTH_STATE_INVALID', {
    operation: 'connect',
    target: 'OAuth state',
    reason,
  })

/** What the sealed `state` carries from the authorization's start to its callback. */
interface SavedState {
  /** The connection id. */
  c: string
  /** The PKCE verifier. */
  v: string
  /** The redirect URI the code was issued for. */
  r: string
  /** Where to send the user once connected. */
  t?: string
  /** Expiry, epoch ms. */
  e: number
}

/**
 * The authorization-code flow that creates connections: the state is sealed with the encryption
 * key, so any gateway process can complete what another began.
 */
export function authorizationFlow(deps: {
  settings: ReadonlyMap<string, OAuthConfig>
  providers: Readonly<Record<string, OAuthProvider>>
  sealer: Sealer
  manager: TokenManager
  clock: Clock
  fetch: typeof globalThis.fetch
}): Pick<GatewayConnections, 'authorizeUrl' | 'complete'> {
  const { settings, providers, sealer, manager, clock, fetch } = deps

  /** The saved state of a callback, or why it is refused. */
  const open = (provider: string, state: string | undefined): SavedState => {
    if (!state) throw stateInvalid('is missing')
    let saved: SavedState
    try {
      const sealed = Buffer.from(state, 'base64url').toString('utf8')
      saved = JSON.parse(sealer.open(sealed, stateAad(provider))) as SavedState
    } catch {
      throw stateInvalid('is not a state this gateway issued for this provider')
    }
    if (clock.now() > saved.e) throw stateInvalid('has expired; start the authorization again')
    return saved
  }

  return {
    authorizeUrl(ref: ConnectionRef, { callbackUrl, returnTo }) {
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
      const saved: SavedState = {
        c: ref.connectionId,
        v: pkce.verifier,
        r: redirectUri,
        ...(returnTo !== undefined && { t: returnTo }),
        e: clock.now() + stateTtlMs,
      }
      const state = sealer.seal(JSON.stringify(saved), stateAad(ref.provider))
      return buildAuthorizeUrl({
        provider: providers[ref.provider]!,
        redirectUri,
        state: Buffer.from(state).toString('base64url'),
        codeChallenge: pkce.challenge,
      })
    },
    async complete(provider, query) {
      if (!settings.has(provider)) throw invalid(`provider ${provider}`, 'has no oauth configured')
      if (query.error !== undefined) {
        throw new SeamlineError('SEAM_ERR_OAUTH_AUTHORIZATION_DENIED', {
          operation: 'connect',
          target: `provider ${provider}`,
          reason: `failed: the provider answered ${query.error}`,
        })
      }
      const saved = open(provider, query.state)
      if (!query.code) throw invalid('code', 'is missing from the callback')
      const tokens = await exchangeCode({
        provider: providers[provider]!,
        code: query.code,
        redirectUri: saved.r,
        codeVerifier: saved.v,
        clock,
        fetch,
      })
      const ref = { provider, connectionId: saved.c }
      await manager.connect(ref, tokens)
      return { ref, ...(saved.t !== undefined && { returnTo: saved.t }) }
    },
  }
}
