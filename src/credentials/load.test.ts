import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import {
  CredentialError,
  environmentFor,
  fromDotenv,
  fromEnv,
  fromSecretManager,
  fromValues,
  inspectCredentials,
  loadCredentials,
  parseDotenv,
  resolveProfile,
} from './index.js'

// Fake keys built at run time, so the file itself holds nothing a scanner would flag.
const fake = (prefix: string, length = 24): string => prefix + 'x1Y2z3'.repeat(8).slice(0, length)
const liveKey = fake('sk_' + 'live_')
const testKey = fake('sk_' + 'test_')

const dir = mkdtempSync(join(tmpdir(), 'seamline-credentials-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

async function refusal(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CredentialError)
  return error as CredentialError
}

describe('profiles', () => {
  it.each([
    [{ profile: 'staging' }, 'staging'],
    [{ env: { SEAMLINE_PROFILE: 'test', NODE_ENV: 'production' } }, 'test'],
    [{ env: { NODE_ENV: 'production' } }, 'production'],
    [{ env: {} }, 'development'],
    [{ profile: 'production', env: { SEAMLINE_PROFILE: 'development' } }, 'production'],
  ] as const)('%j → %s', (options, profile) => {
    expect(resolveProfile(options)).toBe(profile)
  })

  it('refuses a value that names no profile instead of guessing', () => {
    expect(() => resolveProfile({ env: { NODE_ENV: 'prod' } })).toThrow(
      'resolve profile NODE_ENV is "prod", which is not one of development, test, staging, production',
    )
  })

  it.each([
    ['development', 'sandbox'],
    ['test', 'sandbox'],
    ['staging', 'sandbox'],
    ['production', 'live'],
  ] as const)('%s selects the %s environment', (profile, environment) => {
    expect(environmentFor(profile)).toBe(environment)
  })
})

describe('sources', () => {
  it('reads a *_FILE and trims one trailing newline, and only one', async () => {
    const path = file('stripe', `${testKey}\n`)
    const found = await fromEnv({ STRIPE_SECRET_KEY_FILE: path }).get('STRIPE_SECRET_KEY', {
      profile: 'test',
    })
    expect(found).toEqual({ value: testKey, origin: 'STRIPE_SECRET_KEY_FILE' })
    const two = file('two', 'abc\n\n')
    expect((await fromEnv({ X_FILE: two }).get('X', { profile: 'test' }))?.value).toBe('abc\n')
    const crlf = file('crlf', 'abc\r\n')
    expect((await fromEnv({ X_FILE: crlf }).get('X', { profile: 'test' }))?.value).toBe('abc')
  })

  it('refuses a variable set both directly and as *_FILE, naming both and no value', async () => {
    const source = fromEnv({ X: 'direct-value', X_FILE: file('x', 'file-value') })
    const error = await source.get('X', { profile: 'test' }).catch((e: unknown) => e)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_CREDENTIAL_SOURCE')
    expect(String((error as Error).message)).toBe(
      'load credential X and X_FILE are both set; set only one of them',
    )
  })

  it('names an unreadable *_FILE by its variable', async () => {
    const source = fromEnv({ X_FILE: join(dir, 'absent') })
    await expect(source.get('X', { profile: 'test' })).rejects.toThrow(
      'load credential X_FILE names a file that cannot be read (ENOENT)',
    )
  })

  it('treats an empty variable as unset', async () => {
    expect(await fromEnv({ X: '' }).get('X', { profile: 'test' })).toBeUndefined()
  })

  it('parses .env files: export, comments, quotes, escapes and multi-line values', () => {
    const parsed = parseDotenv(
      [
        '# a comment',
        'export A=1',
        'B = two words # a comment',
        "C='single # kept'",
        'D="line\\nbreak \\"quoted\\""',
        'E="first',
        'second"',
        'F=',
        'G=url#fragment',
        'A=again',
      ].join('\n'),
    )
    expect(Object.fromEntries(parsed)).toEqual({
      A: 'again',
      B: 'two words',
      C: 'single # kept',
      D: 'line\nbreak "quoted"',
      E: 'first\nsecond',
      F: '',
      G: 'url#fragment',
    })
  })

  it('uses a .env file in development and refuses it in production', async () => {
    const path = file('.env', `STRIPE_SECRET_KEY=${testKey}\n`)
    const schema = { STRIPE_SECRET_KEY: { kind: 'stripe-secret-key' } } as const
    const loaded = await loadCredentials({
      schema,
      profile: 'development',
      sources: [fromEnv({}), fromDotenv({ path })],
    })
    expect(loaded.values.STRIPE_SECRET_KEY).toBe(testKey)
    expect(loaded.origins.STRIPE_SECRET_KEY).toBe(path)
    const error = await loadCredentials({
      schema,
      profile: 'production',
      sources: [fromEnv({}), fromDotenv({ path })],
    }).catch((e: unknown) => e)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_CREDENTIAL_SOURCE')
    expect((error as Error).message).toContain('is a development-only source')
    expect((error as Error).message).not.toContain(testKey)
  })

  it('skips a .env file that does not exist, under any profile', async () => {
    const source = fromDotenv({ path: join(dir, 'no.env') })
    expect(await source.get('X', { profile: 'production' })).toBeUndefined()
  })

  it('asks a secret manager, and wraps its failure without its message in ours', async () => {
    const asked: string[] = []
    const manager = fromSecretManager((name) => {
      asked.push(name)
      return Promise.resolve(name === 'A' ? 'from-the-manager' : undefined)
    })
    const loaded = await loadCredentials({
      schema: { A: {}, B: { required: false } },
      profile: 'test',
      sources: [fromEnv({}), manager],
    })
    expect(loaded.values).toEqual({ A: 'from-the-manager' })
    expect(asked).toEqual(['A', 'B'])
    const failing = fromSecretManager(() => Promise.reject(new Error('vault sealed')))
    const error = await loadCredentials({ schema: { A: {} }, profile: 'test', sources: [failing] })
      .then(() => undefined)
      .catch((e: unknown) => e as Error)
    expect(error?.message).toBe('load credential A could not be read from the secret manager')
    expect((error?.cause as Error).message).toBe('vault sealed')
  })

  it('asks sources in order and keeps the first answer', async () => {
    const loaded = await loadCredentials({
      schema: { A: {} },
      profile: 'test',
      sources: [fromValues({ A: 'first-value' }, 'one'), fromValues({ A: 'second-value' }, 'two')],
    })
    expect(loaded.values.A).toBe('first-value')
    expect(loaded.origins).toEqual({ A: 'one' })
  })
})

describe('loadCredentials', () => {
  it('returns typed values, optional ones possibly undefined', async () => {
    const loaded = await loadCredentials({
      schema: {
        STRIPE_SECRET_KEY: { kind: 'stripe-secret-key' },
        SLACK_BOT_TOKEN: { kind: 'slack-bot-token', required: false },
      },
      env: { NODE_ENV: 'test' },
      sources: [fromEnv({ STRIPE_SECRET_KEY: testKey })],
    })
    const key: string = loaded.values.STRIPE_SECRET_KEY
    const slack: string | undefined = loaded.values.SLACK_BOT_TOKEN
    expect([key, slack]).toEqual([testKey, undefined])
    expect(loaded.profile).toBe('test')
    expect(loaded.environment).toBe('sandbox')
  })

  it('names a missing required credential and the sources it asked', async () => {
    const error = await refusal(
      loadCredentials({
        schema: { STRIPE_SECRET_KEY: {} },
        profile: 'test',
        sources: [fromEnv({})],
      }),
    )
    expect(error.code).toBe('SEAM_ERR_CREDENTIAL_MISSING')
    expect(error.message).toBe(
      'load credential STRIPE_SECRET_KEY is required but not set in environment',
    )
  })

  it.each([
    ['development', 'sk_', 'live'],
    ['test', 'rk_', 'live'],
    ['staging', 'sk_', 'prod'],
    ['production', 'sk_', 'test'],
    ['production', 'rk_', 'test'],
    ['development', 'pk_', 'live'],
  ] as const)(
    'under %s refuses a %s%s_ key, naming the variable, not the value',
    async (profile, type, mode) => {
      const value = fake(`${type}${mode}_`)
      const error = await refusal(
        loadCredentials({ schema: { KEY: {} }, profile, sources: [fromValues({ KEY: value })] }),
      )
      expect(error.code).toBe('SEAM_ERR_CREDENTIAL_MISPLACED')
      expect(error.message).toMatch(
        /^load credential KEY is a (live|test) key \([a-z]{2}_[a-z]{4}_\)/,
      )
      expect(error.message).not.toContain(value.slice(`${type}${mode}_`.length, -1))
      expect(JSON.stringify(error)).not.toContain(value.slice(8))
    },
  )

  it('accepts a live key in production and a test key elsewhere', async () => {
    for (const [profile, value] of [
      ['production', liveKey],
      ['staging', testKey],
    ] as const) {
      const loaded = await loadCredentials({
        schema: { KEY: { kind: 'stripe-secret-key' } },
        profile,
        sources: [fromValues({ KEY: value })],
      })
      expect(loaded.values.KEY).toBe(value)
    }
  })

  it('refuses a value without its kind’s format, and says which kind it looks like', async () => {
    const malformed = await refusal(
      loadCredentials({
        schema: { KEY: { kind: 'github-token' } },
        profile: 'test',
        sources: [fromValues({ KEY: 'not-a-token-at-all' })],
      }),
    )
    expect(malformed.code).toBe('SEAM_ERR_CREDENTIAL_MALFORMED')
    expect(malformed.message).toBe(
      'load credential KEY should be a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_ or github_pat_) but does not have its format',
    )
    const mismatched = await refusal(
      loadCredentials({
        schema: { KEY: { kind: 'stripe-secret-key' } },
        profile: 'test',
        sources: [fromValues({ KEY: fake('pk_' + 'test_') })],
      }),
    )
    expect(mismatched.problems.map((p) => p.problem)).toEqual(['mismatched'])
    expect(mismatched.message).toContain('but looks like a Stripe publishable key')
  })

  it('reports every problem, the misplaced one first', async () => {
    const error = await refusal(
      loadCredentials({
        schema: { A: {}, B: { kind: 'stripe-secret-key' } },
        profile: 'development',
        sources: [fromValues({ B: liveKey })],
      }),
    )
    expect(error.code).toBe('SEAM_ERR_CREDENTIAL_MISPLACED')
    expect(error.problems.map((p) => `${p.variable}:${p.problem}`)).toEqual([
      'B:misplaced',
      'A:missing',
    ])
    expect(error.message).toContain('; also wrong: A (missing)')
  })

  it('registers every loaded value with the redactor', async () => {
    const loaded = await loadCredentials({
      schema: { PASSWORD: {} },
      profile: 'test',
      sources: [fromValues({ PASSWORD: 'hunter2-but-longer' })],
    })
    expect(loaded.redactor.redact('login with hunter2-but-longer failed')).toBe(
      'login with [redacted] failed',
    )
  })
})

describe('inspectCredentials', () => {
  it('reports findings without values', async () => {
    const report = await inspectCredentials({
      schema: { STRIPE_SECRET_KEY: { kind: 'stripe-secret-key' }, OTHER: { required: false } },
      profile: 'development',
      sources: [fromValues({ STRIPE_SECRET_KEY: liveKey })],
    })
    expect(report.environment).toBe('sandbox')
    expect(report.findings).toEqual([
      {
        variable: 'STRIPE_SECRET_KEY',
        kind: 'stripe-secret-key',
        required: true,
        origin: 'values',
        marker: 'sk_live_',
        problems: [expect.objectContaining({ problem: 'misplaced' })],
      },
      {
        variable: 'OTHER',
        kind: 'secret',
        required: false,
        origin: undefined,
        marker: undefined,
        problems: [],
      },
    ])
    expect(JSON.stringify(report)).not.toContain(liveKey)
  })
})
