export { FakeClock, type FakeClockOptions } from '../time/index.js'
export {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorProfileName,
} from './simulator/simulator.js'
export type { Fault, FaultKind, FaultRule } from './simulator/faults.js'
export type { RouteStats, SimulatorStats } from './simulator/stats.js'
export type { StripeProfileOptions } from './simulator/profiles/stripe/index.js'
export type { GithubProfileOptions } from './simulator/profiles/github.js'
export type { ShopifyProfileOptions } from './simulator/profiles/shopify.js'
export type { OpenAiProfileOptions } from './simulator/profiles/openai.js'
export type { GenericProfileOptions, GenericQuota } from './simulator/profiles/generic.js'
export type { XeroProfileOptions } from './simulator/profiles/xero.js'
export type { OAuthOptions, RefreshTokenPolicy } from './simulator/oauth.js'
