import type { ProviderEnvironment } from './profiles.js'

/**
 * A kind of secret, described as data: the shape a value of this kind has, and the marker
 * that says whether it belongs to a live or a sandbox environment (only some providers put
 * one in their keys). Patterns come from the public secret scanners (gitleaks, trufflehog).
 */
export interface SecretKind {
  readonly name: string
  readonly description: string
  /** The whole value must match. */
  readonly pattern: RegExp
  /** Which environment a value of this kind belongs to, read from its marker. */
  readonly modes?: readonly SecretMode[]
}

/** A marker at the start of a value saying which environment it belongs to. */
export interface SecretMode {
  /** Documented, safe to show: `sk_live_`, `rk_test_`… */
  readonly marker: string
  readonly environment: ProviderEnvironment
}

function stripeModes(type: 'sk' | 'rk' | 'pk'): SecretMode[] {
  return [
    { marker: `${type}_live_`, environment: 'live' },
    // gitleaks also knows `_prod_`, which Stripe issued for live keys.
    { marker: `${type}_prod_`, environment: 'live' },
    { marker: `${type}_test_`, environment: 'sandbox' },
  ]
}

const kindList = [
  {
    name: 'stripe-secret-key',
    description: 'a Stripe secret key (sk_test_… or sk_live_…)',
    pattern: /^sk_(?:test|live|prod)_[0-9A-Za-z]{10,247}$/,
    modes: stripeModes('sk'),
  },
  {
    name: 'stripe-restricted-key',
    description: 'a Stripe restricted key (rk_test_… or rk_live_…)',
    pattern: /^rk_(?:test|live|prod)_[0-9A-Za-z]{10,247}$/,
    modes: stripeModes('rk'),
  },
  {
    name: 'stripe-publishable-key',
    description: 'a Stripe publishable key (pk_test_… or pk_live_…)',
    pattern: /^pk_(?:test|live|prod)_[0-9A-Za-z]{10,247}$/,
    modes: stripeModes('pk'),
  },
  {
    name: 'stripe-webhook-secret',
    description: 'a Stripe webhook signing secret (whsec_…)',
    pattern: /^whsec_[A-Za-z0-9+/=]{16,}$/,
  },
  {
    name: 'github-token',
    description: 'a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_ or github_pat_)',
    pattern: /^(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_\w{82})$/,
  },
  {
    name: 'slack-bot-token',
    description: 'a Slack bot token (xoxb-…)',
    pattern: /^xoxb-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9-]*$/,
  },
  {
    name: 'slack-user-token',
    description: 'a Slack user token (xoxp-… or xoxe-…)',
    pattern: /^xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28,34}$/,
  },
  {
    name: 'slack-app-token',
    description: 'a Slack app-level token (xapp-…)',
    pattern: /^xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+$/,
  },
  {
    name: 'slack-webhook-url',
    description: 'a Slack incoming webhook URL',
    pattern: /^https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_+-]+$/,
  },
  {
    name: 'twilio-api-key',
    description: 'a Twilio API key sid (SK + 32 hex digits)',
    pattern: /^SK[0-9a-fA-F]{32}$/,
  },
  {
    name: 'twilio-account-sid',
    description: 'a Twilio account sid (AC + 32 hex digits)',
    pattern: /^AC[0-9a-f]{32}$/,
  },
  {
    name: 'twilio-auth-token',
    description: 'a Twilio auth token or API key secret (32 hex digits or 32 letters and digits)',
    pattern: /^[0-9A-Za-z]{32}$/,
  },
  {
    name: 'openai-api-key',
    description: 'an OpenAI API key (sk-proj-…, sk-svcacct-…, sk-admin-… or a legacy sk-…)',
    pattern:
      /^sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})$/,
  },
  {
    name: 'anthropic-api-key',
    description: 'an Anthropic API key (sk-ant-api03-…)',
    pattern: /^sk-ant-api\d\d-[A-Za-z0-9_-]{93}AA$/,
  },
  {
    name: 'aws-access-key-id',
    description: 'an AWS access key id (AKIA…, ASIA…)',
    pattern: /^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$/,
  },
  {
    name: 'google-api-key',
    description: 'a Google API key (AIza…)',
    pattern: /^AIza[\w-]{35}$/,
  },
  {
    name: 'shopify-access-token',
    description: 'a Shopify token or shared secret (shpat_, shpca_, shppa_ or shpss_)',
    pattern: /^shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}$/,
  },
  {
    name: 'sendgrid-api-key',
    description: 'a SendGrid API key (SG.…)',
    pattern: /^SG\.[A-Za-z0-9=_.-]{66}$/,
  },
  {
    name: 'resend-api-key',
    description: 'a Resend API key (re_…)',
    pattern: /^re_[1-9A-HJ-NP-Za-km-z]{8}_[1-9A-HJ-NP-Za-km-z]{24}$/,
  },
  {
    name: 'secret',
    description: 'any secret (only its presence is checked)',
    pattern: /^[\s\S]+$/,
  },
] as const satisfies readonly SecretKind[]

/** The names of the kinds Seamline knows. */
export type SecretKindName = (typeof kindList)[number]['name']

/** Every kind Seamline knows, by name. */
export const secretKinds: Readonly<Record<SecretKindName, SecretKind>> = Object.freeze(
  Object.fromEntries(kindList.map((kind) => [kind.name, kind])) as Record<
    SecretKindName,
    SecretKind
  >,
)

export function isSecretKindName(value: unknown): value is SecretKindName {
  return typeof value === 'string' && Object.hasOwn(secretKinds, value)
}

/**
 * The environment a value's marker names, with the marker; undefined when it has none. The
 * declared kind's markers are tried first, then every known kind's: a live Stripe key is live
 * whatever it was declared as.
 */
export function modeOf(value: string, kind?: SecretKind): SecretMode | undefined {
  const kinds: readonly SecretKind[] = kind ? [kind, ...kindList] : kindList
  for (const candidate of kinds) {
    for (const mode of candidate.modes ?? []) if (value.startsWith(mode.marker)) return mode
  }
  return undefined
}

/**
 * The specific kinds (not the catch-all `secret`, nor the bare 32-character Twilio token)
 * whose pattern the value matches: tells a publishable key given where a secret key belongs.
 */
export function recognise(value: string): SecretKind[] {
  return kindList.filter(
    (kind) =>
      kind.name !== 'secret' && kind.name !== 'twilio-auth-token' && kind.pattern.test(value),
  )
}
