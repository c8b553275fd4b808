import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { createClient, type ProviderPreset } from '../http/index.js'
import { createLimiter } from '../limits/index.js'
import { classify, defaultRules, type CallFacts } from '../policies/index.js'
import {
  getProvider,
  github,
  providers,
  shopify,
  shopifyApiVersion,
  shopifyVersion,
  stripe,
  xero,
} from './index.js'
import { headroom, inFlight, perWindow } from './quota.js'

// The window names the rate-limit header parser yields (see parseRateLimitHeaders).
const knownWindows = new Set([
  'default',
  'core',
  'calls',
  'cost',
  'minute',
  'day',
  'app-minute',
  'interval',
  'daily',
  'secondly',
  'requests',
  'tokens',
])

const presets = Object.entries<ProviderPreset>(providers)

// Throws whatever `run` throws, or fails the test when it does not throw.
function thrown(run: () => unknown): Error {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a throw')
}

// Judges one attempt the way a client built from `preset` does.
const judge = (preset: ProviderPreset, facts: CallFacts) =>
  classify(facts, [...(preset.rules ?? []), ...defaultRules])
const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name]

describe('provider presets', () => {
  it('are keyed by the name each gives its clients', () => {
    expect(Object.keys(providers)).toEqual([
      'stripe',
      'github',
      'shopify',
      'xero',
      'openai',
      'twilio',
      'hubspot',
      'slack',
      'google-maps',
      'resend',
    ])
    for (const [key, preset] of presets) expect(preset.name, key).toBe(key)
  })

  it.each(presets)('%s is well formed', (_, preset) => {
    expect(Object.keys(preset.environments)).toContain(preset.defaultEnvironment)
    for (const [environment, { baseUrl, quotas }] of Object.entries(preset.environments)) {
      const filled = baseUrl.replace(/\{(\w+)\}/g, 'example')
      expect(URL.canParse(filled), `${environment}: ${baseUrl}`).toBe(true)
      expect(new URL(filled).protocol).toBe('https:')
      const inForce = quotas ?? preset.quotas ?? []
      // The limiter refuses malformed quotas (a name twice, a limit or window that is not > 0).
      expect(() => createLimiter({ quotas: inForce })).not.toThrow()
      for (const quota of inForce)
        if (quota.reportedAs !== undefined)
          expect(knownWindows, `${quota.name} reportedAs`).toContain(quota.reportedAs)
    }
    for (const value of Object.values(preset.headers ?? {})) expect(value).not.toMatch(/[\r\n]/)
  })

  it.each(presets)('%s builds a client for each of its environments', (_, preset) => {
    for (const environment of Object.keys(preset.environments)) {
      const client = createClient({
        provider: preset,
        environment,
        params: { shop: 'example', tenantId: 'tenant-1' },
        credential: 'secret',
      })
      expect(client.name).toBe(preset.name)
    }
  })

  it('are frozen, so one client cannot change another', () => {
    for (const [, preset] of presets) {
      expect(Object.isFrozen(preset)).toBe(true)
      expect(Object.isFrozen(preset.environments)).toBe(true)
      for (const quota of preset.quotas ?? []) expect(Object.isFrozen(quota)).toBe(true)
    }
    expect(Object.isFrozen(providers)).toBe(true)
  })

  it('claim an idempotency header only where the provider documents one', () => {
    const withHeader = presets.filter(([, p]) => p.idempotencyHeader).map(([name]) => name)
    expect(withHeader).toEqual(['stripe', 'xero', 'resend'])
  })

  it('keep Stripe sandbox and live limits apart, defaulting to the lower', () => {
    expect(stripe.defaultEnvironment).toBe('sandbox')
    expect(stripe.environments.sandbox?.quotas?.[0]?.limit).toBe(25)
    expect(stripe.environments.live?.quotas?.[0]?.limit).toBe(100)
  })

  it('send GitHub the headers it requires', () => {
    expect(github.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    })
    expect(github.headers?.['user-agent']).toBeTruthy()
  })
})

describe('quota headroom', () => {
  it('keeps a window quota at 95 % by stretching its window, not cutting its count', () => {
    expect(headroom).toBe(0.95)
    expect(perWindow('second', 2, 1_000, 'default')).toEqual({
      name: 'second',
      limit: 2,
      windowMs: 1_053,
      reportedAs: 'default',
    })
    expect(perWindow('hour', 5_000, 3_600_000)).toEqual({
      name: 'hour',
      limit: 5_000,
      windowMs: 3_789_474,
    })
  })

  it('keeps a concurrency quota as documented', () => {
    expect(inFlight('concurrent', 5)).toEqual({ name: 'concurrent', limit: 5 })
  })
})

describe('getProvider', () => {
  it('finds each preset by name', () => {
    for (const [name, preset] of presets) expect(getProvider(name)).toBe(preset)
  })

  it.each(['stripee', 'toString', '__proto__', ''])('refuses %j, listing the known', (name) => {
    const error = thrown(() => getProvider(name))
    expect(isSeamlineError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'SEAM_ERR_INVALID_ARGUMENT',
      operation: 'getProvider',
      target: 'name',
    })
    expect(error.message).toBe(
      `getProvider name is "${name}", which is not a known provider (known: stripe, github, shopify, xero, openai, twilio, hubspot, slack, google-maps, resend)`,
    )
  })
})

describe('placeholders', () => {
  it('refuses a Shopify client without its shop, naming the param', () => {
    const error = thrown(() => createClient({ provider: shopify, credential: 'shpat_x' }))
    expect(error).toMatchObject({ code: 'SEAM_ERR_INVALID_ARGUMENT', target: 'params.shop' })
    expect(error.message).toContain('{shop}')
  })

  it('refuses a Xero client without its tenant, naming the param', () => {
    const error = thrown(() => createClient({ provider: xero, credential: 'token' }))
    expect(error).toMatchObject({ code: 'SEAM_ERR_INVALID_ARGUMENT', target: 'params.tenantId' })
  })

  it('pins a Shopify API version, and takes another on request', () => {
    expect(shopify.environments.live?.baseUrl).toBe(
      `https://{shop}.myshopify.com/admin/api/${shopifyApiVersion}`,
    )
    expect(shopifyVersion('2026-10').environments.live?.baseUrl).toBe(
      'https://{shop}.myshopify.com/admin/api/2026-10',
    )
    expect(shopifyVersion('unstable').environments.sandbox?.baseUrl).toContain('/api/unstable')
    for (const bad of ['2026-05', '2026-1', 'latest', '../2026-04'])
      expect(thrown(() => shopifyVersion(bad))).toMatchObject({
        code: 'SEAM_ERR_INVALID_ARGUMENT',
        operation: 'shopifyVersion',
        target: 'version',
      })
  })
})

describe('provider rules', () => {
  it("retry GitHub's 403 that says the primary limit is spent", () => {
    const verdict = judge(github, {
      status: 403,
      method: 'POST',
      header: headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767229200' }),
    })
    expect(verdict).toEqual({
      retryable: true,
      verdict: 'retry',
      reason: 'primary rate limit exhausted (403)',
    })
  })

  it("retry GitHub's 403 with retry-after (a secondary limit)", () => {
    const verdict = judge(github, {
      status: 403,
      method: 'GET',
      header: headers({ 'retry-after': '60', 'x-ratelimit-remaining': '4000' }),
    })
    expect(verdict.retryable).toBe(true)
    expect(verdict.reason).toBe('secondary rate limit (403)')
  })

  it("leave GitHub's permission 403 a failure", () => {
    const verdict = judge(github, {
      status: 403,
      method: 'GET',
      header: headers({ 'x-ratelimit-remaining': '4999' }),
    })
    expect(verdict).toMatchObject({ retryable: false, verdict: 'fail' })
  })

  it("repeat Stripe's 409 under the same idempotency key, unless Stripe says not to", () => {
    const running = judge(stripe, {
      status: 409,
      method: 'POST',
      idempotencyKey: true,
      header: headers({}),
    })
    expect(running).toMatchObject({ retryable: true, verdict: 'retry-if-safe' })
    const told = judge(stripe, {
      status: 409,
      method: 'POST',
      idempotencyKey: true,
      header: headers({ 'stripe-should-retry': 'false' }),
    })
    expect(told).toMatchObject({ retryable: false, reason: 'provider said not to retry (409)' })
  })

  it('repeat a Xero PUT that may have taken effect only with an idempotency key', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(judge(xero, { error: reset, method: 'PUT' })).toMatchObject({
      retryable: false,
      verdict: 'fail',
    })
    expect(judge(xero, { status: 503, method: 'PUT' }).retryable).toBe(false)
    expect(judge(xero, { error: reset, method: 'PUT', idempotencyKey: true }).retryable).toBe(true)
    // What the default table does for everything else is left as it is.
    expect(judge(xero, { status: 503, method: 'GET' }).retryable).toBe(true)
    expect(judge(xero, { status: 429, method: 'PUT' }).retryable).toBe(true)
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    expect(judge(xero, { error: refused, method: 'PUT' }).retryable).toBe(true)
  })
})
