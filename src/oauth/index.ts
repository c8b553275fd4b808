export {
  genericPolicy,
  resolvePolicy,
  tokenPolicies,
  type RefreshTokenRotation,
  type TokenEndpointAuth,
  type TokenPolicy,
  type TokenPolicyName,
} from './policies.js'
export {
  buildAuthorizeUrl,
  createPkce,
  createState,
  exchangeCode,
  pkceChallenge,
  requestClientCredentials,
  verifyState,
  type AuthorizeUrlOptions,
  type Pkce,
  type StateOptions,
  type TokenRequestContext,
  type TokenSet,
  type VerifiedState,
} from './authorization.js'
export type { OAuthProvider, TokenFailure } from './token-endpoint.js'
export type { AlertOptions, OAuthAlert } from './alerts.js'
export { refreshAtOf } from './timing.js'
export { resealConnections, type ResealOptions, type ResealReport } from './reseal.js'
export {
  createTokenManager,
  type ConnectionStatus,
  type OAuthEvents,
  type RefreshReason,
  type SweepReport,
  type TokenManager,
  type TokenManagerOptions,
} from './manager.js'
export type {
  ConnectionRef,
  ConnectionState,
  ConnectionRecord,
  TokenStore,
} from '../stores/index.js'
