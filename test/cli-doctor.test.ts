import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { checkCredentials, parseCredentialSchema } from '../src/cli/doctor.js'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'seamline-doctor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Fake keys built at run time, so the file holds nothing a scanner would flag.
const liveKey = 'sk_' + 'live_' + 'a1B2c3D4e5F6g7H8i9J0'
const testKey = 'sk_' + 'test_' + 'a1B2c3D4e5F6g7H8i9J0'

const schemaFile = join(dir, 'seamline.credentials.json')
writeFileSync(
  schemaFile,
  JSON.stringify({
    STRIPE_SECRET_KEY: { kind: 'stripe-secret-key' },
    STRIPE_WEBHOOK_SECRET: { kind: 'stripe-webhook-secret' },
    GITHUB_TOKEN: { kind: 'github-token', required: false },
  }),
)

async function doctor(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, 'doctor', ...args],
      {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '', ...env },
      },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('seamline doctor', () => {
  it('passes with the runtime and well-placed credentials, naming where each came from', async () => {
    const secretFile = join(dir, 'webhook-secret')
    writeFileSync(secretFile, 'whsec_' + 'c2VjcmV0LWZvci10ZXN0cw==\n')
    const result = await doctor({
      STRIPE_SECRET_KEY: testKey,
      STRIPE_WEBHOOK_SECRET_FILE: secretFile,
      NODE_ENV: 'test',
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('ok   node: Node.js')
    expect(result.stdout).toContain(
      'ok   credential STRIPE_SECRET_KEY: stripe-secret-key from STRIPE_SECRET_KEY, sk_test_ for sandbox',
    )
    expect(result.stdout).toContain(
      'ok   credential STRIPE_WEBHOOK_SECRET: stripe-webhook-secret from STRIPE_WEBHOOK_SECRET_FILE',
    )
    expect(result.stdout).toContain('ok   credential GITHUB_TOKEN: optional, not set')
    expect(result.stdout).not.toContain(testKey)
  })

  it('fails with exit code 1 on missing, misplaced and malformed credentials, printing none', async () => {
    const result = await doctor(
      { STRIPE_SECRET_KEY: liveKey, GITHUB_TOKEN: 'not-a-github-token' },
      '--profile',
      'staging',
      '--json',
    )
    expect(result.code).toBe(1)
    expect(result.stdout).not.toContain(liveKey.slice(8))
    expect(result.stdout).not.toContain('not-a-github-token')
    const report = JSON.parse(result.stdout) as {
      ok: boolean
      profile: string
      environment: string
      checks: { name: string; ok: boolean; detail: string }[]
    }
    expect(report).toMatchObject({ ok: false, profile: 'staging', environment: 'sandbox' })
    expect(report.checks.map((c) => [c.name, c.ok, c.detail.split(':')[0]])).toEqual([
      ['node', true, 'Node.js v' + process.versions.node + ' satisfies >=20.18'],
      ['credential STRIPE_SECRET_KEY', false, 'misplaced'],
      ['credential STRIPE_WEBHOOK_SECRET', false, 'missing'],
      ['credential GITHUB_TOKEN', false, 'malformed'],
    ])
  })

  it('exits 2 for a command line it cannot accept', async () => {
    expect((await doctor({}, '--profile', 'prod')).code).toBe(2)
    expect((await doctor({}, '--credentials', join(dir, 'absent.json'))).code).toBe(2)
  })
})

describe('checkCredentials', () => {
  it('without a schema, flags every recognisable key in the wrong environment', async () => {
    const result = await checkCredentials({
      profile: 'production',
      env: {
        PAYMENTS_KEY: testKey,
        HOME: '/home/app',
        GH: 'ghp_' + 'a'.repeat(36),
        TOOL_CONFIG_FILE: join(dir, 'absent'),
      },
    })
    expect(result.checks).toEqual([
      { name: 'credential GH', ok: true, detail: 'github-token from GH' },
      {
        name: 'credential PAYMENTS_KEY',
        ok: false,
        detail:
          'misplaced: PAYMENTS_KEY is a test key (sk_test_) but the profile is production, which uses live keys',
      },
    ])
  })

  it('reports an unreadable profile instead of guessing one', async () => {
    const result = await checkCredentials({ env: { NODE_ENV: 'prod' } })
    expect(result.profile).toBeUndefined()
    expect(result.checks[0]?.ok).toBe(false)
  })

  it('reports a .env file under production as unreadable credentials', async () => {
    const envFile = join(dir, '.env')
    writeFileSync(envFile, `STRIPE_SECRET_KEY=${liveKey}\n`)
    const result = await checkCredentials({
      profile: 'production',
      schema: { STRIPE_SECRET_KEY: { kind: 'stripe-secret-key' } },
      envFile,
      env: {},
    })
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['credential STRIPE_SECRET_KEY', false],
    ])
    expect(result.checks[0]?.detail).toMatch(/^unreadable: .* is a development-only source/)
  })

  it('refuses a schema file with an unknown kind', () => {
    expect(() => parseCredentialSchema('{"A":{"kind":"nope"}}', 'x.json')).toThrow(
      'doctor x.json gives A the unknown kind "nope"',
    )
  })
})
