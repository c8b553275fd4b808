import { isSeamlineError, SeamlineError } from '../../errors/index.js'
import {
  createClient,
  type Client,
  type ClientOptions,
  type HttpResponse,
  type ProviderPreset,
} from '../../http/index.js'
import { circuitBreaker, type CircuitBreaker } from '../../policies/index.js'
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

function providerClient(name: string, entry: ProviderConfig, options: UpstreamOptions) {
  const { clock, limits } = options
  const preset = presetOf(name, entry)
  const credential = options.credentials[name]
  const breaker = circuitBreaker({ name, consecutiveFailures: 5, clock })
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
  return {
    clients,
    bases,
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
