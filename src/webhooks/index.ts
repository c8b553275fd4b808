export { webhookScheme, webhookSchemes, type RegisteredWebhookSchemeName } from './schemes.js'
export {
  genericHmacScheme,
  type GenericHmacOptions,
  type HmacAlgorithm,
  type HmacEncoding,
  type TimestampFormat,
} from './verify/generic-hmac.js'
export {
  paypalCertificateHosts,
  paypalScheme,
  type PaypalScheme,
  type PaypalSchemeOptions,
  type PaypalSignOptions,
} from './verify/paypal.js'
export type {
  SignOptions,
  VerifiedWebhook,
  VerifyOptions,
  WebhookHeaders,
  WebhookScheme,
  WebhookSchemeName,
} from './webhook-scheme.js'
export * from './inbox/index.js'
