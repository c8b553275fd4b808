import { standardWebhooksScheme } from './standard-webhooks.js'

/**
 * Svix: the Standard Webhooks format under its own header names `svix-id`, `svix-timestamp`
 * and `svix-signature` (the `webhook-*` names are read when no `svix-signature` is present,
 * as Svix's library does), HMAC `v1` or Ed25519 `v1a`.
 */
export const svix = standardWebhooksScheme('svix', ['svix', 'webhook'])
