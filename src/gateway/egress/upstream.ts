import { isSeamlineError, SeamlineError } from '../../errors/index.js'
import {
  createClient,
  type Client,
  type ClientOptions,
  type HttpResponse,
  type ProviderPreset,
} from '../../http/index.js'
import {
  backoff,
  circuitBreaker,
  retryBudget,
  type CircuitBreaker,
  type RetryBudget,
} from '../../policies/index.js'
import { getProvider, providers as presets } from '../../providers/index.js'
import type { Clock } from '../../time/index.js'
import type { GatewayConfig } from '../config-schema.js'
import type { GatewayLimits } from '../limits.js'
import type { GatewayConnections } from '../oauth-connections.js'
import type { ProxyCall } from './call.js'

type ProviderConfig = GatewayConfig['providers'][string]

/** Each configured provider's client: its quotas, retries, breaker and credential. */
export interface Upstream {
  readonly clients: ReadonlyMap<string, { client: Client; breaker: CircuitBreaker }>
  /** Each provider's base URL, where its calls' paths are appended. */
  readonly bases: ReadonlyMap<string, URL>
  /**
   * The preset a provider's calls follow (how its SDK sends a key, how its API words an
   * error); for a name not configured, the preset of that name, if any.
   */
  preset(provider: string): ProviderPreset | undefined
  /** Sends a prepared call through its provider's client. */
  send<T>(
    call: ProxyCall,
    options: { signal?: AbortSignal; stream?: boolean },
  ): Promise<HttpResponse<T>>
}

export interface UpstreamOptions {
  providers: GatewayConfig['providers']
  /** Each provider's credential, by provider name (already loaded and checked). */
  credentials: Readonly<Record<string, string | undefined>>
  connections: GatewayConnections | undefined
  limits: GatewayLimits
  clock: Clock
}

// A provider the client refuses (a preset's placeholder without its value) is a configuration
// mistake: named by its key, so the gateway refuses to start.
function clientOf(name: string, options: ClientOptions): Client {
  try {
    return createClient(options)
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
      operation: 'createGateway',
      target: `providers.${name}.${error.target}`,
      reason: `is refused (${error.message})`,
      cause: error,
    })
  }
}

const presetOf = (name: string, entry: ProviderConfig): ProviderPreset | undefined => {
  const preset = entry.preset ?? (Object.hasOwn(presets, name) ? name : undefined)
  return preset === undefined ? undefined : getProvider(preset)
}

// Never spent: `retry.budget: false`.
const unbounded: RetryBudget = { recordRequest: () => undefined, tryRetry: () => true }

/**
 * A provider's retries. The defaults let a call that is safe to repeat survive a provider that
 * loses three answers in ten (5 attempts; retries up to half of recent traffic), while an outage
 * sees at most 1.5 times the calls made, not five times.
 */
function retryOf(entry: ProviderConfig, clock: Clock): NonNullable<ClientOptions['retry']> {
  const { maxAttempts = 5, baseMs, capMs, budget } = entry.retry ?? {}
  return {
    maxAttempts,
    backoff: backoff({
      ...(baseMs !== undefined && { baseMs }),
      ...(capMs !== undefined && { capMs }),
    }),
    budget:
      budget === false
        ? unbounded
        : retryBudget({
            ratio: budget?.ratio ?? 0.5,
            ...(budget?.minRetries !== undefined && { minRetries: budget.minRetries }),
            ...(budget?.windowMs !== undefined && { windowMs: budget.windowMs }),
            clock,
          }),
  }
}

function providerClient(name: string, entry: ProviderConfig, options: UpstreamOptions) {
  const { clock, limits } = options
  const preset = presetOf(name, entry)
  const credential = options.credentials[name]
  // Ten failed attempts in a row: two calls that spent all their retries, not one unlucky call.
  const breaker = circuitBreaker({ name, consecutiveFailures: 10, clock })
  const client = clientOf(name, {
    ...(preset && { provider: preset }),
    ...(entry.baseUrl !== undefined && { baseUrl: entry.baseUrl }),
    ...(entry.params && { params: entry.params }),
    name,
    ...(credential !== undefined && { credential }),
    clock,
    ...(entry.limits && {
      limiter: limits.create(name, {
        name: `gateway:proxy:${name}`,
        quotas: entry.limits.map(({ name: quota, limit, windowMs }) => ({
          name: quota,
          limit,
          ...(windowMs !== undefined && { windowMs }),
        })),
      }),
    }),
    ...(!entry.limits && limits.store && { limits: { store: limits.store } }),
    policies: [breaker],
    retry: retryOf(entry, clock),
  })
  // The preset's own quotas, when no limits are configured: shown and counted all the same.
  if (!entry.limits && client.limiter) limits.watch(name, client.limiter)
  return { client, breaker }
}

/**
 * The egress proxy's way out: the gateway injects each provider's credentials (or an OAuth
 * connection's token), applies its quotas, retries, timeouts, circuit breaker and idempotency
 * key, and reaches only its configured base URL.
 */
export function createUpstream(options: UpstreamOptions): Upstream {
  const clients = new Map<string, { client: Client; breaker: CircuitBreaker }>()
  const bases = new Map<string, URL>()
  for (const [name, entry] of Object.entries(options.providers)) {
    const made = providerClient(name, entry, options)
    clients.set(name, made)
    bases.set(name, new URL(made.client.baseUrl))
  }
  const { connections } = options
  const configured = new Map<string, ProviderPreset | undefined>(
    Object.entries(options.providers).map(([name, entry]) => [name, presetOf(name, entry)]),
  )
  return {
    clients,
    bases,
    preset: (provider) =>
      configured.has(provider)
        ? configured.get(provider)
        : Object.hasOwn(presets, provider)
          ? getProvider(provider)
          : undefined,
    send(call, { signal, stream }) {
      const target = clients.get(call.provider)
      if (!target) {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'proxy',
          target: `provider ${call.provider}`,
          reason: 'is not configured',
        })
      }
      return target.client.request(call.method, call.path, {
        headers: call.headers,
        ...(call.body && { body: call.body }),
        ...(call.idempotencyKey !== undefined && { idempotencyKey: call.idempotencyKey }),
        ...(signal && { signal }),
        ...(stream && { stream }),
        ...(call.connection !== undefined &&
          connections?.auth({ provider: call.provider, connectionId: call.connection })),
      })
    },
  }
}
