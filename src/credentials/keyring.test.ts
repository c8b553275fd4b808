import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { keyring, keyringFromEnv, parseKeyring } from './keyring.js'

const k1 = randomBytes(32).toString('base64')
const k2 = randomBytes(32).toString('base64')
const setting = { setting: 'SEAMLINE_ENCRYPTION_KEYS' }

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run()
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    return { code: error.code, message: error.message }
  }
  throw new Error('expected a failure')
}

describe('keyring', () => {
  it('parses keys newest first, by commas, spaces or new lines', () => {
    for (const text of [`k2:${k2},k1:${k1}`, `k2:${k2}, k1:${k1}\n`, `k2:${k2}\nk1:${k1}`]) {
      const ring = parseKeyring(text, setting)
      expect(ring.currentKeyId).toBe('k2')
      expect(ring.keyIds).toEqual(['k2', 'k1'])
      expect(ring.has('k1')).toBe(true)
      expect(ring.has('k3')).toBe(false)
    }
  })

  it('accepts raw 32-byte keys', () => {
    const ring = keyring([{ id: 'a', key: randomBytes(32) }])
    expect(ring.currentKeyId).toBe('a')
  })

  it('never shows the key bytes when inspected or serialized', () => {
    const bytes = randomBytes(32)
    const ring = keyring([{ id: 'a', key: bytes.toString('base64') }])
    const shown = `${inspect(ring, { depth: 10, showHidden: true })}${JSON.stringify(ring)}`
    expect(shown).not.toContain(bytes.toString('base64'))
    expect(shown).not.toContain(bytes.toString('hex'))
  })

  it.each([
    ['no key', '', /holds no key/],
    ['an entry without an id', `${k1}`, /entry 1 is not in the form <id>:<base64>/],
    ['an empty id', `:${k1}`, /entry 1 is not in the form/],
    ['an id with a dot', `a.b:${k1}`, /entry 1 has an id that is not/],
    ['an id used twice', `a:${k1},a:${k2}`, /the key id 'a' is used twice/],
    [
      'a key that is not base64',
      `a:${k1.slice(0, -4)}!!!!`,
      /the key of 'a' is not standard base64/,
    ],
    ['a key of 16 bytes', `a:${randomBytes(16).toString('base64')}`, /decodes to 16 bytes, not 32/],
    ['a key of 33 bytes', `a:${randomBytes(33).toString('base64')}`, /decodes to 33 bytes, not 32/],
    ['a base64url key', `a:${randomBytes(32).toString('base64url')}`, /not standard base64/],
  ])('refuses %s, naming the setting but never the key', (_, text, reason) => {
    const { code, message } = failure(() => parseKeyring(text, setting))
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_INVALID')
    expect(message).toMatch(/^read encryption keys from SEAMLINE_ENCRYPTION_KEYS /)
    expect(message).toMatch(reason)
    for (const key of text.split(/[,:]/).filter((part) => part.length > 8)) {
      expect(message).not.toContain(key)
    }
  })

  it('refuses raw keys of the wrong length', () => {
    const { code } = failure(() => keyring([{ id: 'a', key: randomBytes(31) }]))
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_INVALID')
  })
})

describe('keyringFromEnv', () => {
  it('is undefined when no key is configured', () => {
    expect(keyringFromEnv({})).toBeUndefined()
    expect(keyringFromEnv({ SEAMLINE_ENCRYPTION_KEYS: ' ' })).toBeUndefined()
  })

  it('reads SEAMLINE_ENCRYPTION_KEYS', () => {
    const ring = keyringFromEnv({ SEAMLINE_ENCRYPTION_KEYS: `k2:${k2},k1:${k1}` })
    expect(ring?.keyIds).toEqual(['k2', 'k1'])
  })

  it('reads the file SEAMLINE_ENCRYPTION_KEYS_FILE names', () => {
    const files: Record<string, string> = { '/run/secrets/keys': `k2:${k2}\nk1:${k1}\n` }
    const ring = keyringFromEnv(
      { SEAMLINE_ENCRYPTION_KEYS_FILE: '/run/secrets/keys' },
      { readFile: (path) => files[path] ?? '' },
    )
    expect(ring?.keyIds).toEqual(['k2', 'k1'])
  })

  it('reads another variable when asked', () => {
    const ring = keyringFromEnv({ APP_KEYS: `x:${k1}` }, { variable: 'APP_KEYS' })
    expect(ring?.currentKeyId).toBe('x')
  })

  it('names the _FILE variable when its content is malformed', () => {
    const { code, message } = failure(() =>
      keyringFromEnv({ SEAMLINE_ENCRYPTION_KEYS_FILE: '/keys' }, { readFile: () => `a:${k1}x` }),
    )
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_INVALID')
    expect(message).toContain('SEAMLINE_ENCRYPTION_KEYS_FILE')
    expect(message).not.toContain(k1)
  })

  it('refuses a file it cannot read', () => {
    const { code, message } = failure(() =>
      keyringFromEnv(
        { SEAMLINE_ENCRYPTION_KEYS_FILE: '/missing' },
        {
          readFile: () => {
            throw new Error('ENOENT')
          },
        },
      ),
    )
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_INVALID')
    expect(message).toContain('SEAMLINE_ENCRYPTION_KEYS_FILE failed: the file it names cannot')
  })

  it('refuses both the variable and its _FILE', () => {
    const { code, message } = failure(() =>
      keyringFromEnv({
        SEAMLINE_ENCRYPTION_KEYS: `a:${k1}`,
        SEAMLINE_ENCRYPTION_KEYS_FILE: '/keys',
      }),
    )
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_INVALID')
    expect(message).toContain('both SEAMLINE_ENCRYPTION_KEYS and SEAMLINE_ENCRYPTION_KEYS_FILE')
    expect(message).not.toContain(k1)
  })
})
