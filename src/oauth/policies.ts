import { SeamlineError } from '../errors/index.js'

/**
 * How a provider's refresh tokens behave:
 * - `none`: one refresh token for the grant's life.
 * - `reissued`: a new refresh token on every refresh, the old one still works (store the latest).
 * - `rotating`: strictly single use; presenting a spent one fails, and may revoke the grant.
 * - `rotating-grace`: single use, but the previous one still works for `rotationGraceMs`.
 */
export type RefreshTokenRotation = 'none' | 'reissued' | 'rotating' | 'rotating-grace'

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post'

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

/** What the token manager needs to know of a provider's tokens. Data, not code. */
export interface TokenPolicy {
  name: string
  tokenEndpointAuth: TokenEndpointAuth
  /** Access-token lifetime to assume when a response has no `expires_in`. */
  accessTokenTtlMs: number
  /** Whether token responses may leave `expires_in` out (Salesforce does). */
  expiresInMayBeMissing: boolean
  rotation: RefreshTokenRotation
  /** Under `rotating-grace`: how long the previous refresh token keeps working. */
  rotationGraceMs?: number
  /**
   * A refresh token unused this long expires; the keep-alive refreshes before then.
   * Undefined when the provider sets none or documents none.
   */
  refreshTokenIdleMs?: number
  /** Refresh this long before expiry (capped at a quarter of the token's lifetime). */
  refreshMarginMs: number
  /** Up to this much earlier again, spread per connection, so connections do not refresh together. */
  refreshJitterMs: number
  /** Facts above taken from secondary sources or inferred: check before relying on them. */
  unconfirmed: readonly string[]
}

/** A policy for an RFC 6749 provider of which nothing more is known. */
export const genericPolicy: TokenPolicy = {
  name: 'generic',
  tokenEndpointAuth: 'client_secret_basic',
  accessTokenTtlMs: hour,
  expiresInMayBeMissing: true,
  rotation: 'rotating',
  refreshMarginMs: 5 * minute,
  refreshJitterMs: 2 * minute,
  unconfirmed: [],
}

/**
 * Token rules per provider, from their documentation (see docs/oauth.md for sources). Where a
 * value is not confirmed by the provider's own documentation, `unconfirmed` says which.
 */
export const tokenPolicies = {
  xero: {
    name: 'xero',
    tokenEndpointAuth: 'client_secret_basic',
    accessTokenTtlMs: 30 * minute,
    expiresInMayBeMissing: false,
    rotation: 'rotating-grace',
    rotationGraceMs: 30 * minute,
    refreshTokenIdleMs: 60 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: [],
  },
  intuit: {
    name: 'intuit',
    tokenEndpointAuth: 'client_secret_basic',
    accessTokenTtlMs: hour,
    expiresInMayBeMissing: false,
    // The refresh token value changes from time to time and the latest must be kept.
    rotation: 'reissued',
    refreshTokenIdleMs: 100 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: [
      'how often the refresh token value changes (about every 24 h per secondary sources)',
      'whether a previous refresh token keeps working after a new one is issued',
    ],
  },
  google: {
    name: 'google',
    tokenEndpointAuth: 'client_secret_post',
    accessTokenTtlMs: hour,
    expiresInMayBeMissing: false,
    rotation: 'none',
    // 7 days while the consent screen is in "Testing" status.
    refreshTokenIdleMs: 182 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: ['the 1 h access-token lifetime', 'the 6-month idle expiry'],
  },
  salesforce: {
    name: 'salesforce',
    tokenEndpointAuth: 'client_secret_post',
    // No expires_in: the session timeout of the connected app decides; an hour errs early.
    accessTokenTtlMs: hour,
    expiresInMayBeMissing: true,
    // Rotation is optional per connected app; without it the token is reused.
    rotation: 'none',
    refreshTokenIdleMs: 30 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: [
      'the session timeout behind the access-token lifetime (2-4 h cited by third parties)',
      'a limit on live refresh tokens per user per app (5 per a third party)',
    ],
  },
  hubspot: {
    name: 'hubspot',
    tokenEndpointAuth: 'client_secret_post',
    accessTokenTtlMs: 30 * minute,
    expiresInMayBeMissing: false,
    rotation: 'none',
    refreshTokenIdleMs: 365 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: ['refresh tokens expiring after a year without use (secondary source)'],
  },
  microsoft: {
    name: 'microsoft',
    tokenEndpointAuth: 'client_secret_post',
    // 60-90 min, random (average 75); expires_in says which.
    accessTokenTtlMs: hour,
    expiresInMayBeMissing: false,
    rotation: 'reissued',
    // 24 h for single-page-app redirect URIs.
    refreshTokenIdleMs: 90 * day,
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: [],
  },
  'github-app': {
    name: 'github-app',
    tokenEndpointAuth: 'client_secret_post',
    accessTokenTtlMs: 8 * hour,
    expiresInMayBeMissing: false,
    // "Once you use a refresh token, that refresh token and the old user access token will no
    // longer work": no grace.
    rotation: 'rotating',
    refreshTokenIdleMs: 182 * day,
    refreshMarginMs: 15 * minute,
    refreshJitterMs: 5 * minute,
    unconfirmed: [],
  },
  slack: {
    name: 'slack',
    tokenEndpointAuth: 'client_secret_post',
    accessTokenTtlMs: 12 * hour,
    expiresInMayBeMissing: false,
    rotation: 'rotating',
    refreshMarginMs: 15 * minute,
    refreshJitterMs: 10 * minute,
    unconfirmed: ['how long an unused refresh token lasts (undocumented)'],
  },
  shopify: {
    name: 'shopify',
    tokenEndpointAuth: 'client_secret_post',
    accessTokenTtlMs: hour,
    expiresInMayBeMissing: false,
    // "Store the latest values returned"; treated as single use until a grace is documented.
    rotation: 'rotating',
    refreshMarginMs: 5 * minute,
    refreshJitterMs: 2 * minute,
    unconfirmed: [
      'whether a previous refresh token keeps working (treated as single use)',
      'how long an unused refresh token lasts',
    ],
  },
} as const satisfies Record<string, TokenPolicy>

export type TokenPolicyName = keyof typeof tokenPolicies

/** The policy for a name or a policy of your own; `generic` for undefined. */
export function resolvePolicy(policy: TokenPolicy | TokenPolicyName | undefined): TokenPolicy {
  if (policy === undefined) return genericPolicy
  if (typeof policy !== 'string') return policy
  const found = (tokenPolicies as Record<string, TokenPolicy>)[policy]
  if (found) return found
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'resolve token policy',
    target: JSON.stringify(policy),
    reason: `is not a known provider (known: ${Object.keys(tokenPolicies).join(', ')})`,
  })
}
