export {
  configSchema,
  type DestinationConfig,
  type GatewayConfig,
  type GatewayConfigInput,
  type WebhookSourceConfig,
} from './config-schema.js'
export { configFileNames, defineConfig, loadConfig, parseConfig } from './config.js'
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js'
export type { LogOptions } from './logger.js'
export type { GatewayMetrics } from './metrics.js'
export type { DeliveryEvents, DeliveryOutcome } from './webhooks/index.js'
export { hasAdminToken } from './admin-token.js'
export { startDemo, type Demo, type DemoOptions } from './demo.js'
