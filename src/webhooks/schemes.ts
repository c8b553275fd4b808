import { SeamlineError } from '../errors/index.js'
import { calendly } from './verify/calendly.js'
import { discord } from './verify/discord.js'
import { github } from './verify/github.js'
import { gitlab } from './verify/gitlab.js'
import { hubspot } from './verify/hubspot.js'
import { intuit } from './verify/intuit.js'
import { lemonSqueezy } from './verify/lemon-squeezy.js'
import { linear } from './verify/linear.js'
import { mailgun } from './verify/mailgun.js'
import { paddle } from './verify/paddle.js'
import { paypal } from './verify/paypal.js'
import { sendgrid } from './verify/sendgrid.js'
import { shopify } from './verify/shopify.js'
import { slack } from './verify/slack.js'
import { square } from './verify/square.js'
import { standardWebhooks } from './verify/standard-webhooks.js'
import { stripe } from './verify/stripe.js'
import { svix } from './verify/svix.js'
import { twilio } from './verify/twilio.js'
import { twitch } from './verify/twitch.js'
import { typeform } from './verify/typeform.js'
import { xero } from './verify/xero.js'
import { zoom } from './verify/zoom.js'
import type { WebhookScheme, WebhookSchemeName } from './webhook-scheme.js'

/** The schemes that need no configuration; `generic-hmac` is built by `genericHmacScheme`. */
export type RegisteredWebhookSchemeName = Exclude<WebhookSchemeName, 'generic-hmac'>

const schemes = {
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
  linear,
  hubspot,
  sendgrid,
  mailgun,
  'lemon-squeezy': lemonSqueezy,
  typeform,
  calendly,
  gitlab,
  twitch,
  zoom,
  xero,
  intuit,
  paypal,
} satisfies Record<RegisteredWebhookSchemeName, WebhookScheme>

/**
 * Every signature scheme that needs no configuration, by name. `mailgun` also has `signBody`,
 * and `paypal` (which fetches certificates) `verifyAsync` and `loadCertificate`.
 */
export const webhookSchemes: Readonly<typeof schemes> = Object.freeze(schemes)

/** The scheme called `name`; a name read from configuration is checked here. */
export function webhookScheme(name: WebhookSchemeName): WebhookScheme {
  // Own properties only, so `toString` or `__proto__` is an unknown name like any other.
  if (typeof name === 'string' && Object.hasOwn(webhookSchemes, name)) {
    return webhookSchemes[name as RegisteredWebhookSchemeName]
  }
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'webhookScheme',
    target: 'name',
    reason:
      name === 'generic-hmac'
        ? 'generic-hmac needs a configuration: build it with genericHmacScheme'
        : `must be one of ${Object.keys(webhookSchemes).join(', ')} (got ${describe(name)})`,
  })
}

function describe(name: unknown): string {
  if (typeof name !== 'string') return name === null ? 'null' : typeof name
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)
}
