import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createSealer, keyring, sealedKeyId } from '../src/credentials/index.js'
import { createTokenManager } from '../src/oauth/index.js'
import { sqliteStore } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const file = useTempSqliteFile('cli-oauth.sqlite')

async function seamline(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = { ...process.env }
  delete inherited.SEAMLINE_ENCRYPTION_KEYS
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, ...args, '--store', file],
      { env: { ...inherited, ...env } },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('seamline oauth reencrypt', () => {
  it('reseals stored tokens under the newest key, and refuses to run without keys', async () => {
    const k1 = randomBytes(32)
    const k2 = randomBytes(32)
    const store = sqliteStore({ path: file })
    const tokens = createTokenManager({
      store,
      sealer: createSealer({ profile: 'test', keyring: keyring([{ id: 'k1', key: k1 }]) }),
      providers: { xero: { tokenUrl: 'http://127.0.0.1:9/token', clientId: 'c', policy: 'xero' } },
    })
    for (const connectionId of ['a', 'b']) {
      await tokens.connect(
        { provider: 'xero', connectionId },
        { accessToken: 'at', refreshToken: 'rt', expiresAt: 1e13, expiresAtAssumed: false },
      )
    }
    await store.close()

    const refused = await seamline({}, 'oauth', 'reencrypt')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('SEAMLINE_ENCRYPTION_KEYS')

    const keys = `k2:${k2.toString('base64')},k1:${k1.toString('base64')}`
    const done = await seamline({ SEAMLINE_ENCRYPTION_KEYS: keys }, 'oauth', 'reencrypt', '--json')
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout)).toEqual({
      keyId: 'k2',
      scanned: 2,
      resealed: 2,
      current: 0,
      conflicts: 0,
    })
    const reopened = sqliteStore({ path: file })
    const row = await reopened.tokens.get({ provider: 'xero', connectionId: 'a' })
    expect(sealedKeyId(row!.accessToken!, 'seamline_connections:access_token:["xero","a"]')).toBe(
      'k2',
    )
    await reopened.close()
    const again = await seamline({ SEAMLINE_ENCRYPTION_KEYS: keys }, 'oauth', 'reencrypt')
    expect(again.stdout).toContain('0 of 2 connections resealed under key k2 (2 already were)')
  })
})
