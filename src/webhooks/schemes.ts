import { SeamlineError } from '../errors/index.js'
import { discord } from './verify/discord.js'
import { github } from './verify/github.js'
import { paddle } from './verify/paddle.js'
import { shopify } from './verify/shopify.js'
import { slack } from './verify/slack.js'
import { square } from './verify/square.js'
import { standardWebhooks } from './verify/standard-webhooks.js'
import { stripe } from './verify/stripe.js'
import { svix } from './verify/svix.js'
import { twilio } from './verify/twilio.js'
import type { WebhookScheme, WebhookSchemeName } from './webhook-scheme.js'

/** Every signature scheme, by name. */
export const webhookSchemes: Readonly<Record<WebhookSchemeName, WebhookScheme>> = Object.freeze({
  stripe,
  github,
  shopify,
  'standard-webhooks': standardWebhooks,
  svix,
  slack,
  twilio,
  paddle,
  square,
  discord,
})

/** The scheme called `name`; a name read from configuration is checked here. */
export function webhookScheme(name: WebhookSchemeName): WebhookScheme {
  // Own properties only, so `toString` or `__proto__` is an unknown name like any other.
  if (typeof name === 'string' && Object.hasOwn(webhookSchemes, name)) return webhookSchemes[name]
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'webhookScheme',
    target: 'name',
    reason: `must be one of ${Object.keys(webhookSchemes).join(', ')} (got ${describe(name)})`,
  })
}

function describe(name: unknown): string {
  if (typeof name !== 'string') return name === null ? 'null' : typeof name
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)
}
