export { webhookScheme, webhookSchemes } from './schemes.js'
export type {
  SignOptions,
  VerifiedWebhook,
  VerifyOptions,
  WebhookHeaders,
  WebhookScheme,
  WebhookSchemeName,
} from './webhook-scheme.js'
export * from './inbox/index.js'
