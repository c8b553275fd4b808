import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSealer, keyring, sealedKeyId } from '../credentials/index.js'
import { sqliteStore } from '../stores/index.js'
import { FakeClock } from '../time/index.js'
import { createTokenManager, resealConnections } from './index.js'
import { tokenAad } from './sealing.js'

describe('resealConnections', () => {
  it('moves every token to the newest key, once, and the tokens still open', async () => {
    const clock = new FakeClock()
    const store = sqliteStore({ path: ':memory:' })
    const k1 = { id: 'k1', key: randomBytes(32) }
    const k2 = { id: 'k2', key: randomBytes(32) }
    const old = createSealer({ profile: 'test', keyring: keyring([k1]) })
    const providers = { p: { tokenUrl: 'http://127.0.0.1:9/token', clientId: 'c' } }
    const before = createTokenManager({ store, sealer: old, clock, providers })
    for (let i = 0; i < 120; i++) {
      await before.connect(
        { provider: 'p', connectionId: `c${String(i).padStart(3, '0')}` },
        {
          accessToken: `at_${i}`,
          ...(i % 3 === 0 ? {} : { refreshToken: `rt_${i}` }),
          expiresAt: clock.now() + 3_600_000,
          expiresAtAssumed: false,
        },
      )
    }
    const rotated = createSealer({ profile: 'test', keyring: keyring([k2, k1]) })
    const report = await resealConnections({ tokens: store.tokens, sealer: rotated, clock })
    expect(report).toEqual({ scanned: 120, resealed: 120, current: 0, conflicts: 0 })
    for (const row of await store.tokens.list({ limit: 1_000 })) {
      expect(sealedKeyId(row.accessToken!, tokenAad(row, 'access_token'))).toBe('k2')
      if (row.refreshToken !== null) {
        expect(sealedKeyId(row.refreshToken, tokenAad(row, 'refresh_token'))).toBe('k2')
      }
    }
    expect(await resealConnections({ tokens: store.tokens, sealer: rotated, clock })).toEqual({
      scanned: 120,
      resealed: 0,
      current: 120,
      conflicts: 0,
    })
    // The old key can go: a keyring of the new key alone opens every token.
    const only = createSealer({ profile: 'test', keyring: keyring([k2]) })
    const after = createTokenManager({ store, sealer: only, clock, providers })
    expect(await after.getAccessToken({ provider: 'p', connectionId: 'c007' })).toBe('at_7')
    await store.close()
  })
})
