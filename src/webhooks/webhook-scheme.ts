import type { Clock } from '../time/index.js'

export type WebhookSchemeName =
  | 'stripe'
  | 'github'
  | 'shopify'
  | 'standard-webhooks'
  | 'svix'
  | 'slack'
  | 'twilio'
  | 'paddle'
  | 'square'
  | 'discord'
  | 'linear'
  | 'hubspot'
  | 'sendgrid'
  | 'mailgun'
  | 'lemon-squeezy'
  | 'typeform'
  | 'calendly'
  | 'gitlab'
  | 'twitch'
  | 'zoom'
  | 'xero'
  | 'intuit'
  | 'paypal'
  | 'generic-hmac'

/** Request headers as a framework hands them over; names are matched case-insensitively. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>

export interface SignOptions {
  /** The exact bytes that will be sent as the body (a string is sent as UTF-8). */
  payload: string | Uint8Array
  /**
   * The signing secret. Standard Webhooks and Svix take `whsec_…` for an HMAC `v1` signature
   * or `whsk_…` for an Ed25519 `v1a` one.
   */
  secret: string
  /** Source of the signed timestamp. Default `systemClock`. */
  clock?: Clock
  /** The message id (`webhook-id`, `svix-id`); required by `standard-webhooks` and `svix`. */
  id?: string
  /**
   * The URL the webhook is sent to; required by the schemes that sign it (`twilio`, `square`,
   * `hubspot`).
   */
  url?: string
  /** The HTTP method the webhook is sent with, for the schemes that sign it (`hubspot`). Default `POST`. */
  method?: string
}

export interface VerifyOptions {
  /**
   * Every secret currently accepted; during a rotation list the old and the new one. For
   * Standard Webhooks and Svix an entry may be the sender's Ed25519 public key `whpk_…`.
   */
  secrets: readonly string[]
  /** The clock the signed timestamp is checked against. Default `systemClock`. */
  clock?: Clock
  /**
   * How far the signed timestamp may be from `clock.now()`, before or after, in milliseconds.
   * Default 300 000 (5 minutes), except `linear` (60 000, as Linear's SDK) and `twitch`
   * (600 000, as Twitch documents). Unused by schemes that sign no timestamp (github, shopify,
   * twilio, square, lemon-squeezy, typeform, gitlab, xero, intuit).
   */
  toleranceMs?: number
  /**
   * The full URL the request was sent to, as the sender saw it (scheme, host, path, query);
   * required by the schemes that sign it (`twilio`, `square`, `hubspot`). Behind a proxy,
   * rebuild it from trusted forwarding headers only.
   */
  url?: string
  /** The request's HTTP method, for the schemes that sign it (`hubspot`). Default `POST`. */
  method?: string
}

export interface VerifiedWebhook {
  scheme: WebhookSchemeName
  /**
   * The index in `options.secrets` of the secret the signature matched: while rotating, the
   * old secret can be retired once no webhook has matched it for a while.
   */
  secretIndex: number
  /** When the sender signed it, epoch milliseconds; only for schemes that sign a timestamp. */
  timestamp?: number
  /**
   * The signed message id, the key to dedupe on: `webhook-id` (`svix-id`) for Standard
   * Webhooks and Svix, `Twitch-Eventsub-Message-Id` for Twitch, `paypal-transmission-id` for
   * PayPal, the id header of a generic HMAC scheme that signs one.
   */
  id?: string
}

export interface WebhookScheme {
  readonly name: WebhookSchemeName
  /**
   * The headers to send with exactly `options.payload` as the body. A scheme that carries its
   * signature in the body (`mailgun`) has none to give and throws; it offers `signBody`.
   */
  sign(options: SignOptions): Record<string, string>
  /**
   * Only for schemes that carry the signature in the body (`mailgun`): `options.payload` with
   * the signature added, the body to send.
   */
  signBody?(options: SignOptions): string
  /** Returns what was verified; throws a `SeamlineError` on any failure (fail closed). */
  verify(
    headers: WebhookHeaders,
    rawBody: string | Uint8Array,
    options: VerifyOptions,
  ): VerifiedWebhook
}
