export {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorProfileName,
} from './simulator.js'
export type { Fault, FaultKind, FaultRule } from './faults.js'
export { parseFaultSpec } from './fault-spec.js'
export type { RouteStats, SimulatorStats } from './stats.js'
export type { OAuthOptions, RefreshTokenPolicy } from './oauth.js'
export type { StripeProfileOptions } from './profiles/stripe/index.js'
export type { GithubProfileOptions } from './profiles/github.js'
export type { ShopifyProfileOptions } from './profiles/shopify.js'
export type { XeroProfileOptions } from './profiles/xero.js'
export type { OpenAiProfileOptions } from './profiles/openai.js'
export type { GenericProfileOptions, GenericQuota } from './profiles/generic.js'
export {
  createWebhookSender,
  type DeliveryAttempt,
  type DeliveryReport,
  type WebhookEvent,
  type WebhookSender,
  type WebhookSenderOptions,
} from './webhook-sender.js'
