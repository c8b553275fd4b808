import type { QuotaSpec } from '../limits/index.js'
import type { Rule } from '../policies/index.js'

/** How a provider takes its credential. The client formats what `credential()` returns. */
export type AuthScheme =
  /** `Authorization: Bearer <credential>` */
  | { kind: 'bearer' }
  /** `Authorization: Basic base64(<credential>)`, the credential being `user:password`. */
  | { kind: 'basic' }
  /** `<name>: <credential>` (Shopify's `X-Shopify-Access-Token`, Google's `X-Goog-Api-Key`). */
  | { kind: 'header'; name: string }
  /** `?<name>=<credential>` on the URL (Google Maps' `key`). */
  | { kind: 'query'; name: string }

/**
 * What the client needs to know about a provider: where it lives, how it authenticates, which
 * header makes a POST safe to repeat, its documented limits and the signals it sends when a call
 * failed. Presets live in `providers/`; any app may write its own.
 */
export interface ProviderPreset {
  /** `stripe`, `github`…: names the client in events and errors. */
  name: string
  /** Where each environment (`live`, `sandbox`…) lives, and its limits when they differ. */
  environments: Readonly<Record<string, ProviderEnvironment>>
  /** The environment used when the client names none. */
  defaultEnvironment: string
  auth: AuthScheme
  /**
   * Sent with every call (API version pins, `Accept`, a `User-Agent` the provider requires);
   * `{tenantId}`-style placeholders are filled from the client's `params`.
   */
  headers?: Readonly<Record<string, string>>
  /** The header that makes a POST safe to retry, when the provider has one. */
  idempotencyHeader?: string
  /**
   * The documented limits of one connection (one API key, one tenant), for environments that do
   * not set their own. `reportedAs` on a quota names the window the provider's rate-limit
   * headers describe, so what they report tunes it.
   */
  quotas?: readonly QuotaSpec[]
  /** Provider signals judged before the default table (e.g. GitHub's 403 secondary limit). */
  rules?: readonly Rule[]
}

export interface ProviderEnvironment {
  /** `{shop}`-style placeholders are filled from the client's `params`; a missing one is refused. */
  baseUrl: string
  /** This environment's limits, when they differ from the preset's `quotas` (Stripe's sandbox). */
  quotas?: readonly QuotaSpec[]
}
