import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { defineConfig, loadConfig, parseConfig } from './config.js'

const dir = mkdtempSync(join(tmpdir(), 'seamline-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const source = {
  provider: 'stripe',
  secrets: ['STRIPE_WEBHOOK_SECRET'],
  destination: { url: 'http://127.0.0.1:3000/hooks/stripe', secret: 'APP_WEBHOOK_SECRET' },
}

function problemsOf(work: () => unknown): string[] {
  try {
    work()
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    expect(error.code).toBe('SEAM_ERR_CONFIG_INVALID')
    return (error as unknown as { problems: string[] }).problems
  }
  throw new Error('the configuration was accepted')
}

async function loadProblems(file: string): Promise<string[]> {
  try {
    await loadConfig(file, dir)
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    expect(error.code).toBe('SEAM_ERR_CONFIG_INVALID')
    expect(error.message).toContain(join(dir, file))
    return (error as unknown as { problems: string[] }).problems
  }
  throw new Error('the configuration was accepted')
}

describe('parseConfig', () => {
  it('fills in the defaults: an embedded SQLite store, no sources', () => {
    expect(parseConfig({})).toMatchObject({
      store: 'seamline.sqlite',
      server: { host: '127.0.0.1', port: 8787 },
      admin: { tokenEnv: 'SEAMLINE_ADMIN_TOKEN' },
      webhooks: { sources: {} },
      providers: {},
      reconciliations: [],
    })
  })

  it('accepts a full configuration and keeps what it says', () => {
    const config = parseConfig({
      store: 'postgres://seamline@db/seamline',
      redis: 'redis://127.0.0.1:6379',
      profile: 'staging',
      proxy: { tokens: ['SEAMLINE_PROXY_TOKEN'], allowedOrigins: ['https://app.example.com'] },
      providers: {
        stripe: {
          credentials: { apiKey: 'STRIPE_SECRET_KEY' },
          limits: [{ name: 'second', limit: 25, windowMs: 1000 }],
        },
        xero: {
          params: { tenantId: 'tenant-1' },
          oauth: {
            clientId: 'XERO_CLIENT_ID',
            clientSecret: 'XERO_CLIENT_SECRET',
            tokenUrl: 'https://identity.xero.com/connect/token',
          },
        },
      },
      webhooks: {
        sources: {
          stripe: {
            ...source,
            route: '/hooks/stripe',
            orderingKey: 'data.object.customer',
            destination: { ...source.destination, rateLimit: { perSecond: 5 }, concurrency: 2 },
          },
        },
      },
      reconciliations: [{ name: 'subscriptions', every: '1h' }],
    })
    expect(config.webhooks.sources.stripe?.destination).toEqual({
      ...source.destination,
      timeoutMs: 10_000,
      rateLimit: { perSecond: 5 },
      concurrency: 2,
    })
    expect(config.reconciliations[0]).toEqual({
      name: 'subscriptions',
      every: '1h',
      module: 'seamline.reconcile.mjs',
    })
    expect(config.proxy).toMatchObject({
      tokens: ['SEAMLINE_PROXY_TOKEN'],
      allowUnauthenticated: false,
      allowedOrigins: ['https://app.example.com'],
    })
  })

  it('refuses providers without a proxy token, unless the proxy is opened on purpose', () => {
    const providers = { stripe: { credentials: { apiKey: 'STRIPE_SECRET_KEY' } } }
    expect(problemsOf(() => parseConfig({ providers }))).toEqual([
      expect.stringMatching(
        /^proxy\.tokens: expected at least one proxy token variable/,
      ) as unknown,
    ])
    expect(() => parseConfig({ providers, proxy: { allowUnauthenticated: true } })).not.toThrow()
    const retry = { maxAttempts: 0, budget: { ratio: -1 } }
    expect(
      problemsOf(() =>
        parseConfig({
          providers: { stripe: { ...providers.stripe, retry, port: 70_000 } },
          proxy: { tokens: ['SEAMLINE_PROXY_TOKEN'] },
        }),
      ),
    ).toEqual([
      'providers.stripe.port: expected a port from 1 to 65535',
      'providers.stripe.retry.maxAttempts: expected a number above 0',
      'providers.stripe.retry.budget.ratio: expected a number from 0',
    ])
    expect(
      problemsOf(() => parseConfig({ proxy: { allowedOrigins: ['https://a.example/x'] } })),
    ).toEqual([expect.stringMatching(/^proxy\.allowedOrigins\[0\]: expected an origin/) as unknown])
  })

  it('names the key path of every problem', () => {
    const problems = problemsOf(() =>
      parseConfig({
        store: '',
        redis: 'http://nope',
        profile: 'prod',
        server: { port: 70_000 },
        webhooks: {
          sources: {
            stripe: {
              ...source,
              secrets: [''],
              destination: { url: 'ftp://x', secret: 'not a name' },
            },
            'bad name!': source,
            github: { ...source, provider: 'gitbub', secrets: [] },
          },
        },
        providers: {
          xero: { oauth: { clientId: 'XERO_CLIENT_ID', clientSecret: 'x y', grant: 'implicit' } },
        },
        reconciliations: [{ every: '1h' }],
        typo: true,
      }),
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        'store: expected a non-empty string',
        'redis: expected a redis:// or rediss:// URL',
        expect.stringMatching(/^profile: expected one of development, test, staging, production$/),
        'server.port: expected a port from 0 to 65535',
        'webhooks.sources.stripe.secrets[0]: expected a non-empty string',
        'webhooks.sources.stripe.destination.url: expected an absolute http:// or https:// URL',
        'webhooks.sources.stripe.destination.secret: expected the name of an environment variable (letters, digits and _)',
        expect.stringMatching(
          /^webhooks\.sources\.github\.provider: expected one of stripe, github/,
        ),
        'webhooks.sources.github.secrets: expected at least one secret',
        expect.stringMatching(/^webhooks\.sources\.bad name!/),
        'providers.xero.oauth.clientSecret: expected the name of an environment variable (letters, digits and _)',
        'providers.xero.oauth.tokenUrl: expected a non-empty string',
        'providers.xero.oauth.grant: expected refresh_token or client_credentials',
        'reconciliations[0].name: expected a non-empty string',
        'typo: unknown key',
      ]),
    )
  })

  it('says what it expected of a value of the wrong type', () => {
    expect(
      problemsOf(() => parseConfig({ webhooks: { sources: { s: { ...source, secrets: [42] } } } })),
    ).toEqual(['webhooks.sources.s.secrets[0]: expected a non-empty string'])
    expect(problemsOf(() => parseConfig([]))).toEqual([expect.stringMatching(/^\(root\): /)])
  })
})

describe('loadConfig', () => {
  it('reads JSON, YAML and modules alike', async () => {
    const value = { store: 'loaded.sqlite', webhooks: { sources: { stripe: source } } }
    writeFileSync(join(dir, 'a.json'), JSON.stringify(value))
    writeFileSync(
      join(dir, 'a.yaml'),
      [
        'store: loaded.sqlite',
        'webhooks:',
        '  sources:',
        '    stripe:',
        '      provider: stripe',
        '      secrets: [STRIPE_WEBHOOK_SECRET]',
        '      destination:',
        '        url: http://127.0.0.1:3000/hooks/stripe',
        '        secret: APP_WEBHOOK_SECRET',
      ].join('\n'),
    )
    writeFileSync(join(dir, 'a.mjs'), `export default ${JSON.stringify(value)}`)
    writeFileSync(
      join(dir, 'a.ts'),
      `const config: { store: string } & Record<string, unknown> = ${JSON.stringify(value)}\nexport default config\n`,
    )
    for (const file of ['a.json', 'a.yaml', 'a.mjs', 'a.ts']) {
      const { config, file: found } = await loadConfig(file, dir)
      expect(found).toBe(join(dir, file))
      expect(config.store, file).toBe('loaded.sqlite')
      expect(config.webhooks.sources.stripe?.secrets, file).toEqual(['STRIPE_WEBHOOK_SECRET'])
    }
  })

  it('names the offending key in JSON, YAML and TypeScript files', async () => {
    const bad = { webhooks: { sources: { stripe: { ...source, secrets: [''] } } } }
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad))
    writeFileSync(
      join(dir, 'bad.yml'),
      "webhooks:\n  sources:\n    stripe:\n      provider: stripe\n      secrets: ['']\n      destination: { url: 'http://127.0.0.1:3000/x', secret: APP }\n",
    )
    writeFileSync(join(dir, 'bad.ts'), `export default ${JSON.stringify(bad)} as const\n`)
    for (const file of ['bad.json', 'bad.yml', 'bad.ts']) {
      expect(await loadProblems(file), file).toEqual([
        'webhooks.sources.stripe.secrets[0]: expected a non-empty string',
      ])
    }
  })

  it('finds seamline.config.* in the directory, and gives the defaults without one', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'))
    expect(await loadConfig(undefined, empty)).toEqual({ config: parseConfig({}), file: undefined })
    writeFileSync(join(empty, 'seamline.config.yaml'), 'store: found.sqlite\n')
    const { config, file } = await loadConfig(undefined, empty)
    expect(config.store).toBe('found.sqlite')
    expect(file).toBe(join(empty, 'seamline.config.yaml'))
  })

  it('refuses a missing file, a file that does not parse and an unknown extension', async () => {
    writeFileSync(join(dir, 'broken.json'), '{ "store": ')
    writeFileSync(join(dir, 'broken.yaml'), 'store: [unclosed\n')
    writeFileSync(join(dir, 'config.toml'), 'store = "x"\n')
    for (const [file, reason] of [
      ['missing.json', /does not exist/],
      ['broken.json', /is not valid JSON/],
      ['broken.yaml', /is not valid YAML/],
      ['config.toml', /unknown extension/],
    ] as const) {
      const error = await loadConfig(file, dir).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isSeamlineError(error) && error.code, file).toBe('SEAM_ERR_CONFIG_LOAD')
      expect((error as Error).message, file).toMatch(reason)
    }
  })

  it('defineConfig returns its argument, typed', () => {
    const config = defineConfig({ store: 'x.sqlite' })
    expect(config).toEqual({ store: 'x.sqlite' })
  })
})
