import { SeamlineError } from '../errors/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { FaultPlan, type FaultRule } from './faults.js'
import type { Profile, ProfileContext } from './http.js'
import { mountOAuth, OAuthServer, type OAuthOptions } from './oauth.js'
import { genericProfile, type GenericProfileOptions } from './profiles/generic.js'
import { githubProfile, type GithubProfileOptions } from './profiles/github.js'
import { openAiProfile, type OpenAiProfileOptions } from './profiles/openai.js'
import { shopifyProfile, type ShopifyProfileOptions } from './profiles/shopify.js'
import { stripeProfile, type StripeProfileOptions } from './profiles/stripe/index.js'
import { xeroProfile, type XeroProfileOptions } from './profiles/xero.js'
import { seededRandom } from './random.js'
import { startServer, type ServerParts } from './server.js'
import { StatsRecorder, type SimulatorStats } from './stats.js'
import {
  createWebhookSender,
  type WebhookSender,
  type WebhookSenderOptions,
} from './webhook-sender.js'
import type { SimulatedSchemeName } from './webhook-delivery.js'

export type SimulatorProfileName = 'stripe' | 'github' | 'shopify' | 'xero' | 'openai' | 'generic'

export interface SimulatorOptions {
  /** Which provider to behave like. Default `'stripe'`. */
  profile?: SimulatorProfileName
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number
  /** Seed for ids, credentials, fault draws and latency; the same seed replays the same run. */
  seed?: number
  /** Time source for limit windows, token expiry, latency and trickle; default the system clock. */
  clock?: Clock
  /** Faults to inject; change them later with `setFaults`. */
  faults?: readonly FaultRule[]
  /** Options of each profile; only the chosen profile's are read. */
  stripe?: StripeProfileOptions
  github?: GithubProfileOptions
  shopify?: ShopifyProfileOptions
  xero?: XeroProfileOptions
  openai?: OpenAiProfileOptions
  generic?: GenericProfileOptions
  /** The authorization server every profile has at `/oauth/authorize` and `/oauth/token`. */
  oauth?: OAuthOptions
  /** Largest request body accepted (413 above it). Default 1 MiB. */
  maxBodyBytes?: number
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:53124`. */
  readonly url: string
  readonly profile: SimulatorProfileName
  /** What an app needs to talk to the simulator: API key, webhook secret… */
  readonly credentials: Readonly<Record<string, string>>
  /** Replaces the fault rules; scripted sequences start over. */
  setFaults(rules: readonly FaultRule[]): void
  /** Counters per route and in total. */
  stats(): SimulatorStats
  /**
   * A sender of signed webhooks to your app, in this profile's scheme and secret (Standard
   * Webhooks for profiles without their own), on the simulator's clock and seed.
   */
  webhookSender(options: Omit<WebhookSenderOptions, 'scheme' | 'secret' | 'clock'>): WebhookSender
  /** Forgets all data, limits, idempotency keys, stats and fault positions; credentials stay. */
  reset(): void
  close(): Promise<void>
}

const profiles: Record<SimulatorProfileName, (o: SimulatorOptions, c: ProfileContext) => Profile> =
  {
    stripe: (options, context) => stripeProfile(options.stripe ?? {}, context),
    github: (options, context) => githubProfile(options.github ?? {}, context),
    shopify: (options, context) => shopifyProfile(options.shopify ?? {}, context),
    xero: (options, context) => xeroProfile(options.xero ?? {}, context),
    openai: (options, context) => openAiProfile(options.openai ?? {}, context),
    generic: (options, context) => genericProfile(options.generic ?? {}, context),
  }

const schemes: Partial<Record<SimulatorProfileName, SimulatedSchemeName>> = {
  stripe: 'stripe',
  github: 'github',
  shopify: 'shopify',
}

function assemble(
  options: SimulatorOptions,
  name: SimulatorProfileName,
  clock: Clock,
): ServerParts {
  const seed = options.seed ?? 1
  const random = seededRandom(seed)
  const stats = new StatsRecorder()
  const faults = new FaultPlan(seededRandom(seed ^ 0x5eed), options.faults)
  // Its own stream, so a profile's ids and keys do not depend on OAuth traffic.
  const oauth = new OAuthServer(options.oauth ?? {}, clock, seededRandom(seed ^ 0x0a07), stats)
  let profile = mountOAuth(profiles[name](options, { clock, random, stats, oauth }), oauth)
  if (profile.credentials.webhookSecret === undefined) {
    const webhookSecret = `whsec_${Buffer.from(random.token(24)).toString('base64')}`
    profile = { ...profile, credentials: { ...profile.credentials, webhookSecret } }
  }
  return { profile, faults, stats, clock, random, maxBodyBytes: options.maxBodyBytes ?? 1 << 20 }
}

/** Starts a local provider on 127.0.0.1 that limits, fails and replays the way the real one does. */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const name = options.profile ?? 'stripe'
  if (!(name in profiles)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'createSimulator',
      target: 'profile',
      reason: `must be one of ${Object.keys(profiles).join(', ')} (got ${JSON.stringify(name)})`,
    })
  }
  const clock = options.clock ?? systemClock
  const parts = assemble(options, name, clock)
  const server = await startServer(parts, options.port ?? 0)
  return {
    url: server.url,
    profile: name,
    credentials: parts.profile.credentials,
    setFaults: (rules) => parts.faults.set(rules),
    webhookSender: (sender) =>
      createWebhookSender({
        seed: options.seed ?? 1,
        ...sender,
        scheme: schemes[name] ?? 'standard-webhooks',
        secret: parts.profile.credentials.webhookSecret as string,
        clock,
      }),
    stats: () => parts.stats.snapshot(),
    reset: () => Object.assign(parts, assemble(options, name, clock)),
    close: () => server.close(),
  }
}
