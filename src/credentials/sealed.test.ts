import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { keyring } from './keyring.js'
import { createSealer } from './sealed-policy.js'
import { open, openBytes, reseal, rotate, seal, sealedKeyId } from './sealed.js'

const bytes1 = randomBytes(32)
const bytes2 = randomBytes(32)
const old = keyring([{ id: 'k1', key: bytes1 }])
const rotated = keyring([
  { id: 'k2', key: bytes2 },
  { id: 'k1', key: bytes1 },
])
const aad = 'connections:access_token:42'
const secret = 'ya29.a0AfH6SMB-very-secret-token'
const keyTexts = [bytes1, bytes2].flatMap((key) => [
  key.toString('base64'),
  key.toString('base64url'),
  key.toString('hex'),
])

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run()
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    return { code: error.code, message: error.message }
  }
  throw new Error('expected a failure')
}

// No message may carry the plaintext or any spelling of a key.
function expectClean(message: string, plaintext: string = secret): void {
  if (plaintext.length >= 4) expect(message).not.toContain(plaintext)
  for (const key of keyTexts) expect(message).not.toContain(key)
}

describe('seal and open', () => {
  it('round-trips any text under any row identity', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ minLength: 1 }), (text, row) => {
        const sealed = seal(text, { keyring: rotated, aad: row })
        expect(open(sealed, { keyring: rotated, aad: row })).toBe(text)
      }),
    )
  })

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string({ minLength: 1 }), (data, row) => {
        const sealed = seal(data, { keyring: rotated, aad: row })
        expect(openBytes(sealed, { keyring: rotated, aad: row })).toEqual(Buffer.from(data))
      }),
    )
  })

  it('writes v1.<keyId>.<nonce>.<ciphertext+tag> with a fresh 12-byte nonce each time', () => {
    const first = seal(secret, { keyring: rotated, aad })
    const second = seal(secret, { keyring: rotated, aad })
    expect(first).not.toBe(second)
    const [version, keyId, nonce = '', body = ''] = first.split('.')
    expect([version, keyId]).toEqual(['v1', 'k2'])
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(12)
    expect(Buffer.from(body, 'base64url')).toHaveLength(Buffer.byteLength(secret) + 16)
    expect(first).not.toContain(Buffer.from(secret).toString('base64url').slice(0, 8))
  })

  it('fails to open a value copied to another row', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (row, other) => {
        fc.pre(row !== other)
        const sealed = seal(secret, { keyring: rotated, aad: row })
        const { code, message } = failure(() => open(sealed, { keyring: rotated, aad: other }))
        expect(code).toBe('SEAM_ERR_DECRYPT_FAILED')
        expectClean(message)
      }),
    )
  })

  it('fails on any changed character, with a typed error that leaks nothing', () => {
    const sealed = seal(secret, { keyring: rotated, aad })
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'
    for (let at = 0; at < sealed.length; at++) {
      for (const char of alphabet) {
        if (char === sealed[at]) continue
        const altered = `${sealed.slice(0, at)}${char}${sealed.slice(at + 1)}`
        const { code, message } = failure(() => open(altered, { keyring: rotated, aad }))
        expect(code).toMatch(
          /^SEAM_ERR_(DECRYPT_FAILED|SEALED_VALUE_MALFORMED|ENCRYPTION_KEY_UNKNOWN)$/,
        )
        expectClean(message)
      }
    }
  })

  it('fails on any flipped bit of the nonce, ciphertext or tag', () => {
    const sealed = seal(secret, { keyring: rotated, aad })
    const [head, keyId, nonceText = '', bodyText = ''] = sealed.split('.')
    const nonce = Buffer.from(nonceText, 'base64url')
    const body = Buffer.from(bodyText, 'base64url')
    const parts = [nonce, body]
    parts.forEach((part, which) => {
      for (let bit = 0; bit < part.length * 8; bit++) {
        const flipped = Buffer.from(part)
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7))
        const [n, b] = which === 0 ? [flipped, body] : [nonce, flipped]
        const altered = [head, keyId, n.toString('base64url'), b.toString('base64url')].join('.')
        const { code, message } = failure(() => open(altered, { keyring: rotated, aad }))
        expect(code).toBe('SEAM_ERR_DECRYPT_FAILED')
        expectClean(message)
      }
    })
  })

  it('names an unknown key id', () => {
    const sealed = seal(secret, { keyring: rotated, aad })
    const { code, message } = failure(() => open(sealed, { keyring: old, aad }))
    expect(code).toBe('SEAM_ERR_ENCRYPTION_KEY_UNKNOWN')
    expect(message).toBe(
      `open sealed value of ${aad} failed: the keyring holds no key with id 'k2'`,
    )
  })

  it('fails under another key that has the same id', () => {
    const impostor = keyring([{ id: 'k2', key: randomBytes(32) }])
    const sealed = seal(secret, { keyring: rotated, aad })
    expect(failure(() => open(sealed, { keyring: impostor, aad })).code).toBe(
      'SEAM_ERR_DECRYPT_FAILED',
    )
  })

  it.each([
    ['an empty value', ''],
    ['a bare word', 'hello'],
    ['another version', 'v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['too few parts', 'v1.k1.AAAAAAAAAAAAAAAA'],
    ['too many parts', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.x'],
    ['an empty key id', 'v1..AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a short nonce', 'v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a nonce that is not base64url', 'v1.k1.AAAAAAAAAAAAAAA+.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a body shorter than a tag', 'v1.k1.AAAAAAAAAAAAAAAA.AAAA'],
    ['padded base64', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA=='],
    ['a plaintext marker that is not base64url', 'plain.a+b'],
    ['a value that is not a string', 42 as unknown as string],
  ])('refuses %s as malformed', (_, value) => {
    const { code, message } = failure(() => open(value, { keyring: rotated, aad }))
    expect(code).toBe('SEAM_ERR_SEALED_VALUE_MALFORMED')
    expect(message).toMatch(new RegExp(`^open sealed value of ${aad} failed: `))
    if (typeof value === 'string' && value.length > 4) expect(message).not.toContain(value)
  })

  it('refuses an empty or missing row identity', () => {
    for (const row of ['', undefined as unknown as string]) {
      expect(failure(() => seal(secret, { keyring: rotated, aad: row })).code).toBe(
        'SEAM_ERR_INVALID_ARGUMENT',
      )
      expect(failure(() => open('v1.k1.x.y', { keyring: rotated, aad: row })).code).toBe(
        'SEAM_ERR_INVALID_ARGUMENT',
      )
    }
  })

  it('opens bytes that are not UTF-8 only with openBytes', () => {
    const sealed = seal(new Uint8Array([0xff, 0xfe]), { keyring: rotated, aad })
    expect(openBytes(sealed, { keyring: rotated, aad })).toEqual(Buffer.from([0xff, 0xfe]))
    expect(failure(() => open(sealed, { keyring: rotated, aad })).code).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
  })
})

describe('rotation', () => {
  it('opens values sealed under an older key and seals new ones under the newest', () => {
    const before = seal(secret, { keyring: old, aad })
    expect(sealedKeyId(before, aad)).toBe('k1')
    expect(open(before, { keyring: rotated, aad })).toBe(secret)
    expect(sealedKeyId(seal(secret, { keyring: rotated, aad }), aad)).toBe('k2')
  })

  it('reseals onto the newest key, and leaves a current value as it is', () => {
    const before = seal(secret, { keyring: old, aad })
    const after = reseal(before, { keyring: rotated, aad })
    expect(sealedKeyId(after, aad)).toBe('k2')
    expect(open(after, { keyring: rotated, aad })).toBe(secret)
    expect(reseal(after, { keyring: rotated, aad })).toBe(after)
    // Once every value moved, the old key can go.
    const newOnly = keyring([{ id: 'k2', key: bytes2 }])
    expect(open(after, { keyring: newOnly, aad })).toBe(secret)
  })

  it('never reseals a value that does not authenticate for its row', () => {
    const before = seal(secret, { keyring: old, aad })
    const { code } = failure(() => reseal(before, { keyring: rotated, aad: 'other:row:1' }))
    expect(code).toBe('SEAM_ERR_DECRYPT_FAILED')
  })

  it('walks rows, rewriting only the values not under the newest key', async () => {
    type Row = { id: number; token: string | null }
    const table: Row[] = [
      { id: 1, token: seal('one', { keyring: old, aad: 'tokens:value:1' }) },
      { id: 2, token: seal('two', { keyring: rotated, aad: 'tokens:value:2' }) },
      { id: 3, token: null },
      { id: 4, token: `plain.${Buffer.from('four').toString('base64url')}` },
    ]
    const original = table.map((row) => row.token)
    const writes: number[] = []
    async function* pages(): AsyncGenerator<Row> {
      yield* table
    }
    const report = await rotate({
      keyring: rotated,
      rows: pages(),
      field: (row) => ({ sealed: row.token, aad: `tokens:value:${row.id}` }),
      write: async (row, resealed) => {
        writes.push(row.id)
        row.token = resealed
      },
    })
    expect(report).toEqual({ scanned: 4, resealed: 2, current: 1, empty: 1 })
    expect(writes).toEqual([1, 4])
    expect(table[1]?.token).toBe(original[1])
    for (const row of table.filter((r) => r.token !== null)) {
      expect(sealedKeyId(row.token as string, `tokens:value:${row.id}`)).toBe('k2')
    }
    expect(
      table.map(
        (row) => row.token && open(row.token, { keyring: rotated, aad: `tokens:value:${row.id}` }),
      ),
    ).toEqual(['one', 'two', null, 'four'])
    // A second run finds nothing to do.
    const again = await rotate({
      keyring: rotated,
      rows: table,
      field: (row) => ({ sealed: row.token, aad: `tokens:value:${row.id}` }),
      write: () => {
        throw new Error('no write expected')
      },
    })
    expect(again).toEqual({ scanned: 4, resealed: 0, current: 3, empty: 1 })
  })

  it('stops at a row whose value fails, after writing the rows before it', async () => {
    const rows = [
      { id: 1, token: seal('one', { keyring: old, aad: 't:v:1' }) },
      { id: 2, token: seal('two', { keyring: old, aad: 't:v:1' }) }, // copied from row 1
      { id: 3, token: seal('three', { keyring: old, aad: 't:v:3' }) },
    ]
    const writes: number[] = []
    await expect(
      rotate({
        keyring: rotated,
        rows,
        field: (row) => ({ sealed: row.token, aad: `t:v:${row.id}` }),
        write: (row) => {
          writes.push(row.id)
        },
      }),
    ).rejects.toMatchObject({ code: 'SEAM_ERR_DECRYPT_FAILED', target: 't:v:2' })
    expect(writes).toEqual([1])
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      rotate({
        keyring: rotated,
        rows: [{ token: null }],
        field: (row) => ({ sealed: row.token, aad }),
        write: () => undefined,
        signal: controller.signal,
      }),
    ).rejects.toThrow()
  })
})

describe('createSealer', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('refuses to start under production without a key', () => {
    const { code, message } = failure(() => createSealer({ profile: 'production' }))
    expect(code).toBe('SEAM_ERR_ENCRYPTION_REQUIRED')
    expect(message).toBe(
      'start the production profile refused: no encryption key is configured (SEAMLINE_ENCRYPTION_KEYS)',
    )
  })

  it('refuses dangerouslyAllowPlaintext under production, with or without a key', () => {
    for (const ring of [undefined, rotated]) {
      const { code, message } = failure(() =>
        createSealer({ profile: 'production', keyring: ring, dangerouslyAllowPlaintext: true }),
      )
      expect(code).toBe('SEAM_ERR_ENCRYPTION_REQUIRED')
      expect(message).toContain('dangerouslyAllowPlaintext is for local development only')
    }
  })

  it('refuses to start without a key in other profiles unless plaintext is asked for', () => {
    for (const profile of ['development', 'test', 'staging'] as const) {
      expect(failure(() => createSealer({ profile })).code).toBe('SEAM_ERR_ENCRYPTION_REQUIRED')
    }
  })

  it('refuses an unknown profile', () => {
    const profile = 'prod' as 'production'
    expect(failure(() => createSealer({ profile, keyring: rotated })).code).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
  })

  it('seals and opens under production with a key', () => {
    const sealer = createSealer({ profile: 'production', keyring: rotated })
    expect(sealer.mode).toBe('encrypted')
    const sealed = sealer.seal(secret, aad)
    expect(sealed.startsWith('v1.k2.')).toBe(true)
    expect(sealer.open(sealed, aad)).toBe(secret)
    expect(sealer.needsReseal(sealed, aad)).toBe(false)
    const older = createSealer({ profile: 'production', keyring: old }).seal(secret, aad)
    expect(sealer.needsReseal(older, aad)).toBe(true)
    expect(sealer.open(sealer.reseal(older, aad), aad)).toBe(secret)
  })

  it('stores marked plaintext in development when asked, warning once per process', async () => {
    vi.resetModules()
    const fresh = await import('./sealed-policy.js')
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const sealer = fresh.createSealer({ profile: 'development', dangerouslyAllowPlaintext: true })
    fresh.createSealer({ profile: 'test', dangerouslyAllowPlaintext: true })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toContain('plaintext')
    expect(sealer.mode).toBe('plaintext')
    const stored = sealer.seal(secret, aad)
    expect(stored).toBe(`plain.${Buffer.from(secret).toString('base64url')}`)
    expect(sealer.open(stored, aad)).toBe(secret)
    expect(sealer.reseal(stored, aad)).toBe(stored)
    expect(sealer.needsReseal(stored, aad)).toBe(false)
    // An encrypted value cannot be read without its key.
    const encrypted = seal(secret, { keyring: rotated, aad })
    expect(failure(() => sealer.open(encrypted, aad)).code).toBe('SEAM_ERR_ENCRYPTION_KEY_UNKNOWN')
  })

  it('reads plaintext written in development once a key exists, and reseal encrypts it', () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const dev = createSealer({ profile: 'development', dangerouslyAllowPlaintext: true })
    const stored = dev.seal(secret, aad)
    const sealer = createSealer({ profile: 'production', keyring: rotated })
    expect(sealer.open(stored, aad)).toBe(secret)
    expect(sealer.needsReseal(stored, aad)).toBe(true)
    const encrypted = sealer.reseal(stored, aad)
    expect(encrypted.startsWith('v1.k2.')).toBe(true)
    expect(encrypted).not.toContain(Buffer.from(secret).toString('base64url'))
    expect(sealer.open(encrypted, aad)).toBe(secret)
  })

  it('refuses plaintext when told to', () => {
    const sealer = createSealer({ profile: 'production', keyring: rotated, acceptPlaintext: false })
    const stored = `plain.${Buffer.from(secret).toString('base64url')}`
    const { code, message } = failure(() => sealer.open(stored, aad))
    expect(code).toBe('SEAM_ERR_SEALED_VALUE_MALFORMED')
    expectClean(message)
    expect(message).not.toContain(Buffer.from(secret).toString('base64url'))
  })

  it('ignores dangerouslyAllowPlaintext when a key is given outside production', () => {
    const sealer = createSealer({
      profile: 'development',
      keyring: rotated,
      dangerouslyAllowPlaintext: true,
    })
    expect(sealer.mode).toBe('encrypted')
    expect(sealer.seal(secret, aad).startsWith('v1.k2.')).toBe(true)
  })
})
