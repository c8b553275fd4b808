import { SeamlineError } from '../errors/index.js'
import type { ProviderPreset } from '../http/index.js'
import { github } from './github.js'
import { googleMaps } from './google-maps.js'
import { hubspot } from './hubspot.js'
import { openai } from './openai.js'
import { resend } from './resend.js'
import { shopify } from './shopify.js'
import { slack } from './slack.js'
import { stripe } from './stripe.js'
import { twilio } from './twilio.js'
import { xero } from './xero.js'

export { github, googleMaps, hubspot, openai, resend, shopify, slack, stripe, twilio, xero }
export { shopifyApiVersion, shopifyVersion } from './shopify.js'

/** Every preset, by the name it gives its clients. */
export const providers = Object.freeze({
  stripe,
  github,
  shopify,
  xero,
  openai,
  twilio,
  hubspot,
  slack,
  'google-maps': googleMaps,
  resend,
})

export type ProviderName = keyof typeof providers

/** The preset named `name` (`stripe`, `google-maps`…); an unknown name is refused, listing the known. */
export function getProvider(name: string): ProviderPreset {
  if (Object.hasOwn(providers, name)) return providers[name as ProviderName]
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'getProvider',
    target: 'name',
    reason: `is "${name}", which is not a known provider (known: ${Object.keys(providers).join(', ')})`,
  })
}
