import { randomBytes } from 'node:crypto'
import { fromEnv, loadCredentials, type Redactor } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { minAdminTokenLength } from './admin-token.js'
import type { GatewayConfig } from './config-schema.js'

export type Env = Readonly<Record<string, string | undefined>>

/** The value of the variable a configuration key names; refused, naming the key, when unset. */
export function resolveSecret(env: Env, name: string, key: string): string {
  const value = env[name]
  if (value === undefined || value === '') {
    throw new SeamlineError('SEAM_ERR_CREDENTIAL_MISSING', {
      operation: 'createGateway',
      target: key,
      reason: `names the environment variable ${name}, which is not set`,
    })
  }
  return value
}

/** Every secret the configuration names, read once at start and known to the redactor. */
export interface GatewaySecrets {
  /** Each webhook source's verification secrets and the one its forwarded requests are signed with. */
  sources: Readonly<Record<string, { verify: string[]; destination: string }>>
  /** Each provider's credential for the proxy, by provider name (checked against the profile). */
  providers: Readonly<Record<string, string | undefined>>
  /** What async proxy calls' callbacks are signed with, when callbacks are allowed. */
  callback: string | undefined
  /** The tokens a proxied call may carry (`proxy.tokens`). */
  proxyTokens: string[]
  /** The admin API token, or undefined when the admin API is off. */
  adminToken: string | undefined
}

const sourceSecrets = (config: GatewayConfig, env: Env): GatewaySecrets['sources'] =>
  Object.fromEntries(
    Object.entries(config.webhooks.sources).map(([name, source]) => [
      name,
      {
        verify: source.secrets.map((variable, i) =>
          resolveSecret(env, variable, `webhooks.sources.${name}.secrets[${i}]`),
        ),
        destination: resolveSecret(
          env,
          source.destination.secret,
          `webhooks.sources.${name}.destination.secret`,
        ),
      },
    ]),
  )

// A live key outside production, or a test key in it, refuses to start.
async function providerCredentials(
  config: GatewayConfig,
  env: Env,
  redactor: Redactor,
): Promise<GatewaySecrets['providers']> {
  const variables: Record<string, string> = {}
  for (const [name, provider] of Object.entries(config.providers)) {
    const entries = Object.entries(provider.credentials ?? {})
    const chosen = provider.credentials?.apiKey ?? provider.credentials?.token ?? entries[0]?.[1]
    if (chosen !== undefined) variables[name] = chosen
  }
  const loaded = await loadCredentials({
    schema: Object.fromEntries(Object.values(variables).map((v) => [v, {}])),
    env,
    sources: [fromEnv(env)],
    redactor,
    ...(config.profile !== undefined && { profile: config.profile }),
  })
  const values = loaded.values as Record<string, string | undefined>
  return Object.fromEntries(
    Object.entries(variables).map(([name, variable]) => [name, values[variable]]),
  )
}

/**
 * Reads every secret before anything is opened, so a missing one refuses the start naming its
 * key, and registers each with the redactor. `adminToken` overrides the configured variable;
 * `generateAdminToken` makes one when neither is set.
 */
export async function readSecrets(
  config: GatewayConfig,
  env: Env,
  redactor: Redactor,
  admin: { adminToken?: string; generateAdminToken?: boolean },
): Promise<GatewaySecrets> {
  const sources = sourceSecrets(config, env)
  for (const { verify, destination } of Object.values(sources)) {
    for (const secret of [...verify, destination]) redactor.addSecret(secret)
  }
  const providers = await providerCredentials(config, env, redactor)
  let adminToken = admin.adminToken ?? env[config.admin.tokenEnv]
  if (!adminToken && admin.generateAdminToken) {
    adminToken = `sl_admin_${randomBytes(24).toString('base64url')}`
  }
  if (adminToken) {
    redactor.addSecret(adminToken)
    if (adminToken.length < minAdminTokenLength) {
      throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
        operation: 'createGateway',
        target: `admin.tokenEnv ($${config.admin.tokenEnv})`,
        reason: `holds a token of ${adminToken.length} characters: an admin token needs at least ${minAdminTokenLength} (make one with \`seamline token create --admin\`)`,
      })
    }
  }
  const callback =
    config.proxy.callbackSecret === undefined
      ? undefined
      : resolveSecret(env, config.proxy.callbackSecret, 'proxy.callbackSecret')
  if (callback !== undefined) redactor.addSecret(callback)
  const proxyTokens = config.proxy.tokens.map((variable, i) =>
    resolveSecret(env, variable, `proxy.tokens[${i}]`),
  )
  for (const token of proxyTokens) redactor.addSecret(token)
  return { sources, providers, callback, proxyTokens, adminToken: adminToken || undefined }
}
