import { z } from 'zod'
import { profiles } from '../credentials/index.js'
import { tokenPolicies } from '../oauth/index.js'
import { providers } from '../providers/index.js'
import { webhookSchemes } from '../webhooks/index.js'

// Every message says what was expected, so `path: message` reads as one sentence.
const nonEmpty = z
  .string({ error: 'expected a non-empty string' })
  .min(1, { error: 'expected a non-empty string', abort: true })

/** Secrets are never written in the file: the file names the variable that holds each one. */
const envName = nonEmpty.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'expected the name of an environment variable (letters, digits and _)',
})

const positiveInt = z
  .number({ error: 'expected a number' })
  .int({ error: 'expected a whole number' })
  .positive({ error: 'expected a number above 0' })

const httpUrl = nonEmpty.refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol)
    } catch {
      return false
    }
  },
  { error: 'expected an absolute http:// or https:// URL' },
)

const sourceName = nonEmpty.regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
  error: 'expected a name of letters, digits, - and _ (it is a URL path segment)',
})

const schemeNames = Object.keys(webhookSchemes) as [string, ...string[]]
const providerNames = Object.keys(providers) as [string, ...string[]]
const policyNames = ['generic', ...Object.keys(tokenPolicies)] as [string, ...string[]]

const retrySchema = z.strictObject({
  maxAttempts: positiveInt.optional().describe('Delivery attempts before a dead letter.'),
  baseMs: positiveInt.optional().describe('First retry wait (full jitter, doubling).'),
  capMs: positiveInt.optional().describe('Longest retry wait.'),
})

const destinationSchema = z.strictObject({
  url: httpUrl.describe('Where verified events are forwarded (POST).'),
  secret: envName.describe(
    'Environment variable holding the `whsec_…` secret the forwarded request is signed with (Standard Webhooks).',
  ),
  timeoutMs: positiveInt.default(10_000).describe('Time allowed for one delivery attempt.'),
  rateLimit: z
    .strictObject({ perSecond: positiveInt.describe('Deliveries per second.') })
    .optional()
    .describe('Deliveries started per second to this destination.'),
  concurrency: positiveInt.optional().describe('Deliveries in flight at once to this destination.'),
  retry: retrySchema.optional().describe('Retry schedule of failed deliveries.'),
})

const sourceSchema = z.strictObject({
  provider: z
    .enum(schemeNames, { error: `expected one of ${schemeNames.join(', ')}` })
    .describe('Signature scheme of the sender.'),
  secrets: z
    .array(envName, { error: 'expected a list of environment variable names' })
    .min(1, { error: 'expected at least one secret' })
    .describe(
      'Environment variables holding every secret accepted now (old and new in a rotation).',
    ),
  route: nonEmpty
    .regex(/^\/[A-Za-z0-9/_-]*$/, { error: 'expected a path starting with /' })
    .optional()
    .describe('An extra route for this source, besides `/webhooks/<name>`.'),
  toleranceMs: positiveInt.optional().describe('Allowed signature timestamp skew.'),
  orderingKey: nonEmpty
    .optional()
    .describe(
      'Dotted path into the payload (e.g. `data.object.customer`): events with the same value are forwarded one at a time, in order.',
    ),
  destination: destinationSchema.describe('Where the events are forwarded.'),
})

const quotaSchema = z.strictObject({
  name: nonEmpty.describe('Quota name (`second`, `minute`, `concurrent`…).'),
  limit: positiveInt.describe('Units per window, or in flight at once.'),
  windowMs: positiveInt.optional().describe('The window; none for a concurrency quota.'),
})

const providerSchema = z.strictObject({
  preset: z
    .enum(providerNames, { error: `expected one of ${providerNames.join(', ')}` })
    .optional()
    .describe('Provider preset; default the entry name when it is one.'),
  baseUrl: httpUrl.optional().describe("Override of the preset's base URL."),
  params: z
    .record(nonEmpty, nonEmpty)
    .optional()
    .describe("Values of the preset's placeholders (Shopify's `shop`, Xero's `tenantId`)."),
  credentials: z
    .record(nonEmpty, envName.describe('Environment variable holding the credential.'))
    .optional()
    .describe(
      'Credential name → environment variable holding it (e.g. `apiKey: STRIPE_SECRET_KEY`).',
    ),
  oauth: z
    .strictObject({
      clientId: envName.describe('Variable holding the client id.'),
      clientSecret: envName.describe('Variable holding the client secret.'),
      tokenUrl: httpUrl.describe('The token endpoint.'),
      authorizeUrl: httpUrl
        .optional()
        .describe('The authorization endpoint; needed to connect users through the gateway.'),
      scopes: z.array(nonEmpty).optional().describe('Scopes requested.'),
      policy: z
        .enum(policyNames, { error: `expected one of ${policyNames.join(', ')}` })
        .optional()
        .describe(
          "Token rules (lifetimes, rotation); default the entry's name when it has some, else `generic`.",
        ),
      grant: z
        .enum(['refresh_token', 'client_credentials'], {
          error: 'expected refresh_token or client_credentials',
        })
        .default('refresh_token')
        .describe('`refresh_token`: users connect; `client_credentials`: the app itself.'),
      connection: nonEmpty
        .optional()
        .describe('Connection used when a call names none (`X-Seamline-Connection`).'),
      redirectUrl: httpUrl
        .optional()
        .describe(
          'Callback URL registered with the provider; default `<gateway>/oauth/<name>/callback`.',
        ),
    })
    .optional()
    .describe('OAuth app of this provider.'),
  limits: z.array(quotaSchema).optional().describe("Quotas replacing the preset's."),
  port: z
    .number({ error: 'expected a number' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'expected a port from 1 to 65535' })
    .max(65_535, { error: 'expected a port from 1 to 65535' })
    .optional()
    .describe(
      "Also serve this provider's proxy on this port, its paths as the provider's own, for SDKs that take only a host and a port (stripe-node).",
    ),
  retry: z
    .strictObject({
      maxAttempts: positiveInt
        .optional()
        .describe('Attempts of one proxied call in all, the first included (default 5).'),
      baseMs: positiveInt
        .optional()
        .describe('First retry wait (full jitter, doubling; default 200).'),
      capMs: positiveInt.optional().describe('Longest retry wait (default 20,000).'),
      budget: z
        .union(
          [
            z.literal(false),
            z.strictObject({
              ratio: z
                .number({ error: 'expected a number' })
                .min(0, { error: 'expected a number from 0' })
                .optional()
                .describe('Retries at most this share of recent first attempts (default 0.5).'),
              minRetries: z
                .number({ error: 'expected a number' })
                .int({ error: 'expected a whole number' })
                .min(0, { error: 'expected a number from 0' })
                .optional()
                .describe('Retries always allowed per window (default 10).'),
              windowMs: positiveInt
                .optional()
                .describe('How far back "recent" reaches (default 10 s).'),
            }),
          ],
          { error: 'expected false, or { ratio, minRetries, windowMs }' },
        )
        .optional()
        .describe(
          'Caps retries at a share of recent traffic, so an outage is not multiplied by the attempts; `false` for no cap.',
        ),
    })
    .optional()
    .describe(
      "Retries of this provider's calls: only those safe to repeat (reads, and writes with an idempotency key).",
    ),
})

const reconciliationSchema = z.strictObject({
  name: nonEmpty.describe('A reconciler the module defines.'),
  every: nonEmpty.describe(
    'How often it runs: an interval (`30s`, `15m`, `1h`, `1d`) or a cron expression.',
  ),
  module: nonEmpty
    .default('seamline.reconcile.mjs')
    .describe(
      'Module whose default export is the `createReconcile()` defining it (as for `seamline reconcile`).',
    ),
})

// Only the origin is compared, so a path, query or credentials would be a false promise.
const origin = nonEmpty.refine(
  (value) => {
    try {
      const url = new URL(value)
      return ['http:', 'https:'].includes(url.protocol) && url.origin === value
    } catch {
      return false
    }
  },
  {
    error:
      'expected an origin: http:// or https://, a host and an optional port, nothing after (e.g. https://app.example.com)',
  },
)

const proxySchema = z
  .strictObject({
    tokens: z
      .array(envName, { error: 'expected a list of environment variable names' })
      .default([])
      .describe(
        'Environment variables each holding a proxy token (several while one is rotated out). A call carries one where its SDK sends its API key; `seamline token create` makes one.',
      ),
    allowUnauthenticated: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(
        'Serve the proxy without tokens: any process that reaches the gateway spends its credentials. Logged as a warning at every start.',
      ),
    allowedOrigins: z
      .array(origin, { error: 'expected a list of origins' })
      .default([])
      .describe(
        'Browser origins whose pages may call the proxy; a request with any other `Origin` is refused.',
      ),
    callbackOrigins: z
      .array(origin, { error: 'expected a list of origins' })
      .default([])
      .describe(
        'Origins an async call may name in `X-Seamline-Callback`; any other callback is refused.',
      ),
    callbackSecret: envName
      .optional()
      .describe(
        'Environment variable holding the `whsec_…` secret callbacks are signed with (Standard Webhooks); needed when `callbackOrigins` lists any.',
      ),
    retry: z
      .strictObject({
        maxAttempts: positiveInt
          .optional()
          .describe('Runs of a call, or of its callback, before it is dead.'),
        baseMs: positiveInt.optional().describe('First retry wait (full jitter, doubling).'),
        capMs: positiveInt.optional().describe('Longest retry wait.'),
      })
      .optional()
      .describe(
        'Retry schedule of async calls and of their callbacks (default 20 attempts, 1 s doubling to 1 h).',
      ),
    retentionMs: positiveInt
      .default(7 * 86_400_000)
      .describe("How long an async call's outcome can be read after it was made (default 7 days)."),
  })
  .refine((proxy) => proxy.callbackOrigins.length === 0 || proxy.callbackSecret !== undefined, {
    error:
      'expected the environment variable holding the secret callbacks are signed with (callbackOrigins lists origins)',
    path: ['callbackSecret'],
  })

const defaultTimeouts = { headersMs: 10_000, requestMs: 30_000, idleMs: 5_000 }

const timeoutsSchema = z
  .strictObject({
    headersMs: positiveInt
      .default(defaultTimeouts.headersMs)
      .describe("A request's headers must have arrived within this, or its connection is closed."),
    requestMs: positiveInt
      .default(defaultTimeouts.requestMs)
      .describe(
        'A request must have arrived whole, headers and body, within this, or it is answered 408 and its connection closed.',
      ),
    idleMs: positiveInt
      .default(defaultTimeouts.idleMs)
      .describe('A kept-alive connection with no request in flight is closed after this.'),
  })
  .refine(({ headersMs, requestMs }) => headersMs <= requestMs, {
    path: ['headersMs'],
    error: 'must not be longer than requestMs, which the headers are part of',
  })

export const configSchema = z
  .strictObject({
    store: nonEmpty
      .default('seamline.sqlite')
      .describe('SQLite file path, or a `postgres://` URL for several processes.'),
    redis: nonEmpty
      .regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' })
      .optional()
      .describe('Redis URL for rate limits shared by several processes.'),
    profile: z
      .enum(profiles, { error: `expected one of ${profiles.join(', ')}` })
      .optional()
      .describe('Environment profile; default from `SEAMLINE_PROFILE`/`NODE_ENV`.'),
    server: z
      .strictObject({
        host: nonEmpty.default('127.0.0.1').describe('Interface to listen on.'),
        port: z
          .number({ error: 'expected a number' })
          .int({ error: 'expected a whole number' })
          .min(0, { error: 'expected a port from 0 to 65535' })
          .max(65_535, { error: 'expected a port from 0 to 65535' })
          .default(8787)
          .describe('Port (0: any free port).'),
        hostnames: z
          .array(nonEmpty, { error: 'expected a list of host names' })
          .default([])
          .describe(
            'Names the proxy answers to besides loopback (`localhost`, `127.0.0.1`, `::1`): a request for any other `Host` is refused, so a page cannot rebind a name to the gateway.',
          ),
        timeouts: timeoutsSchema
          .default(defaultTimeouts)
          .describe('Deadlines that close a connection a slow or stuck client holds open.'),
        trustProxy: z
          .union([z.boolean(), z.array(nonEmpty)], {
            error: 'expected true or false, or a list of addresses',
          })
          .default(false)
          .describe(
            "Proxies in front of the gateway (a TLS terminator) whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: addresses or CIDR ranges (`['127.0.0.1', '10.0.0.0/8']`), or `true` for any (only when nothing else can reach the gateway). Client addresses (the login throttle) and `Secure` cookies then come out right.",
          ),
        maxConnections: positiveInt
          .default(1_024)
          .describe('Open connections at most; one more is closed as soon as it is accepted.'),
      })
      .default({
        host: '127.0.0.1',
        port: 8787,
        hostnames: [],
        timeouts: defaultTimeouts,
        trustProxy: false,
        maxConnections: 1_024,
      })
      .describe('Where the gateway listens.'),
    admin: z
      .strictObject({
        tokenEnv: envName
          .default('SEAMLINE_ADMIN_TOKEN')
          .describe('Environment variable holding the admin API token.'),
      })
      .default({ tokenEnv: 'SEAMLINE_ADMIN_TOKEN' })
      .describe('Admin API (`/api`).'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info')
      .describe('Log level.'),
    providers: z
      .record(sourceName, providerSchema.describe('A provider the app calls.'))
      .default({})
      .describe('Providers the app calls, by name.'),
    proxy: proxySchema
      .default({
        tokens: [],
        allowUnauthenticated: false,
        allowedOrigins: [],
        callbackOrigins: [],
        retentionMs: 7 * 86_400_000,
      })
      .describe('Who may call the egress proxy, and its async calls (`Prefer: respond-async`).'),
    webhooks: z
      .strictObject({
        maxBodyBytes: positiveInt
          .optional()
          .describe('Largest webhook body accepted (default 10 MiB).'),
        retentionMs: positiveInt
          .optional()
          .describe('How long events are kept for dedupe (default 7 days).'),
        sources: z
          .record(
            sourceName,
            sourceSchema.describe('A sender of webhooks, received at `/webhooks/<name>`.'),
          )
          .default({})
          .describe('Webhook senders, by name.'),
      })
      .default({ sources: {} })
      .describe('Incoming webhooks.'),
    reconciliations: z
      .array(reconciliationSchema)
      .default([])
      .describe('Reconcilers the gateway runs on a schedule; their reports go to its store.'),
  })
  // Providers' credentials are spent by whoever reaches the proxy: that must be a decision.
  .refine(
    (config) =>
      Object.keys(config.providers).length === 0 ||
      config.proxy.tokens.length > 0 ||
      config.proxy.allowUnauthenticated,
    {
      error:
        'expected at least one proxy token variable while providers are configured (`seamline token create` makes a token), or allowUnauthenticated: true',
      path: ['proxy', 'tokens'],
    },
  )

/** A configuration as written: everything with a default may be left out. */
export type GatewayConfigInput = z.input<typeof configSchema>
/** A configuration once validated, with defaults filled in. */
export type GatewayConfig = z.output<typeof configSchema>
export type WebhookSourceConfig = GatewayConfig['webhooks']['sources'][string]
export type DestinationConfig = WebhookSourceConfig['destination']
