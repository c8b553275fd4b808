import { SeamlineError } from '../errors/index.js'
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
  /** The methods that get a generated key when the call brings none. Default POST. */
  idempotencyMethods?: readonly string[]
  /**
   * The documented limits of one connection (one API key, one tenant), for environments that do
   * not set their own. `reportedAs` on a quota names the window the provider's rate-limit
   * headers describe, so what they report tunes it.
   */
  quotas?: readonly QuotaSpec[]
  /** Provider signals judged before the default table (e.g. GitHub's 403 secondary limit). */
  rules?: readonly Rule[]
  /**
   * How the provider's API words an error, for what answers in its name (the gateway's proxy):
   * its SDK then raises its usual typed error, with the message readable.
   */
  errorBody?: (error: ProviderError) => unknown
}

/** An error to word as a provider would: its HTTP status, a stable code and a message. */
export interface ProviderError {
  status: number
  code: string
  message: string
}

export interface ProviderEnvironment {
  /** `{shop}`-style placeholders are filled from the client's `params`; a missing one is refused. */
  baseUrl: string
  /** This environment's limits, when they differ from the preset's `quotas` (Stripe's sandbox). */
  quotas?: readonly QuotaSpec[]
}

/** What a client takes from its preset once the environment and params are chosen. */
export interface ResolvedPreset {
  baseUrl: string
  headers: Record<string, string>
  quotas: readonly QuotaSpec[]
}

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'createClient',
    target,
    reason,
  })
}

// `{shop}` → params.shop; a placeholder without a value is refused, naming it.
function fill(
  template: string,
  params: Readonly<Record<string, string>>,
  where: string,
  encode: (value: string) => string,
): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key]
    if (value === undefined || value === '')
      throw invalid(`params.${key}`, `is needed by ${where} (${template}) and was not given`)
    return encode(value)
  })
}

const headerSafe = (value: string): string => {
  if (/[\r\n\0]/.test(value))
    throw invalid('params', 'must not hold line breaks or NUL in a header')
  return value
}

/** The preset's base URL, headers and limits for one environment, placeholders filled. */
export function resolvePreset(
  preset: ProviderPreset,
  environment: string = preset.defaultEnvironment,
  params: Readonly<Record<string, string>> = {},
  /** A base URL given instead of the environment's, whose placeholders then need no params. */
  baseUrl?: string,
): ResolvedPreset {
  const chosen = preset.environments[environment]
  if (!chosen)
    throw invalid(
      'environment',
      `is "${environment}", which ${preset.name} does not have (it has ${Object.keys(preset.environments).join(', ')})`,
    )
  return {
    baseUrl:
      baseUrl ??
      fill(chosen.baseUrl, params, `${preset.name}'s ${environment} base URL`, encodeURIComponent),
    headers: Object.fromEntries(
      Object.entries(preset.headers ?? {}).map(([k, v]) => [
        k.toLowerCase(),
        fill(v, params, `header ${k}`, headerSafe),
      ]),
    ),
    quotas: chosen.quotas ?? preset.quotas ?? [],
  }
}

/** The header (or query parameter) that carries `credential` under `scheme`. */
export function authorize(
  scheme: AuthScheme,
  credential: string,
): { header: [string, string] } | { query: [string, string] } {
  switch (scheme.kind) {
    case 'bearer':
      return { header: ['authorization', `Bearer ${credential}`] }
    case 'basic':
      return {
        header: ['authorization', `Basic ${Buffer.from(credential).toString('base64')}`],
      }
    case 'header':
      return { header: [scheme.name, credential] }
    case 'query':
      return { query: [scheme.name, credential] }
  }
}
