import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SeamlineError } from '../errors/index.js'
import { keyOf, type Keyring } from './keyring.js'

// v1.<keyId>.<base64url nonce>.<base64url ciphertext+tag>   (AES-256-GCM)
// plain.<base64url plaintext>                                (development only)
const version = 'v1'
const plainPrefix = 'plain.'
const nonceLength = 12
const tagLength = 16
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/
const base64UrlPattern = /^[A-Za-z0-9_-]*$/

/** A value as stored: `v1.<keyId>.<nonce>.<ciphertext>` or, in development, `plain.<data>`. */
export type Sealed = string

export interface SealOptions {
  keyring: Keyring
  /** The row's identity, e.g. `connections:access_token:42`; opening needs the same text. */
  aad: string
}

export interface OpenOptions extends SealOptions {
  /** Whether a `plain.` value (written in development) opens; true by default, to migrate it. */
  acceptPlaintext?: boolean
}

type Parsed =
  | { kind: 'plain'; plaintext: Buffer }
  | { kind: 'sealed'; keyId: string; nonce: Buffer; body: Buffer }

function checkAad(aad: unknown, operation: string): asserts aad is string {
  if (typeof aad !== 'string' || aad === '') {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation,
      target: 'aad',
      reason: 'must be a non-empty string naming the row, e.g. `table:column:rowId`',
    })
  }
}

function malformed(aad: string, why: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_SEALED_VALUE_MALFORMED', {
    operation: 'open sealed value of',
    target: aad,
    reason: `failed: ${why}`,
  })
}

// Strict: only canonical base64url opens, so no two spellings decode to the same bytes.
function fromBase64Url(text: string): Buffer | undefined {
  if (!base64UrlPattern.test(text) || text.length % 4 === 1) return undefined
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

function parse(sealed: unknown, aad: string): Parsed {
  if (typeof sealed !== 'string') throw malformed(aad, 'it is not a string')
  if (sealed.startsWith(plainPrefix)) {
    const plaintext = fromBase64Url(sealed.slice(plainPrefix.length))
    if (plaintext === undefined) throw malformed(aad, 'its plaintext marker is not base64url')
    return { kind: 'plain', plaintext }
  }
  const parts = sealed.split('.')
  if (parts[0] !== version || parts.length !== 4) {
    throw malformed(aad, `it is not in the form ${version}.<keyId>.<nonce>.<ciphertext>`)
  }
  const [, keyId = '', nonceText = '', bodyText = ''] = parts
  if (!keyIdPattern.test(keyId)) throw malformed(aad, 'its key id is not a valid id')
  const nonce = fromBase64Url(nonceText)
  if (nonce?.length !== nonceLength) {
    throw malformed(aad, `its nonce is not ${nonceLength} bytes of base64url`)
  }
  const body = fromBase64Url(bodyText)
  if (body === undefined || body.length < tagLength) {
    throw malformed(aad, `its ciphertext is not base64url of at least ${tagLength} bytes`)
  }
  return { kind: 'sealed', keyId, nonce, body }
}

// The header is authenticated too, so the key id and version cannot be swapped under a tag.
// `keyId` holds no `.`, so the header ends unambiguously before the row's identity.
function associatedData(keyId: string, aad: string): Buffer {
  return Buffer.from(`${version}.${keyId}.${aad}`, 'utf8')
}

function toBytes(plaintext: unknown): Buffer {
  if (typeof plaintext === 'string') return Buffer.from(plaintext, 'utf8')
  if (plaintext instanceof Uint8Array) {
    return Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
  }
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'seal',
    target: 'plaintext',
    reason: 'must be a string or a Uint8Array',
  })
}

/**
 * Encrypts with AES-256-GCM under the keyring's newest key and a fresh random 12-byte nonce,
 * binding the result to `aad` (the row's identity): it opens only with the same `aad`.
 */
export function seal(plaintext: string | Uint8Array, { keyring, aad }: SealOptions): Sealed {
  checkAad(aad, 'seal')
  const bytes = toBytes(plaintext)
  const keyId = keyring.currentKeyId
  const key = keyOf(keyring, keyId)
  if (key === undefined) throw unknownKey(keyId, aad, 'seal value of')
  const nonce = randomBytes(nonceLength)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagLength })
  cipher.setAAD(associatedData(keyId, aad))
  const body = Buffer.concat([cipher.update(bytes), cipher.final(), cipher.getAuthTag()])
  return `${version}.${keyId}.${nonce.toString('base64url')}.${body.toString('base64url')}`
}

function unknownKey(keyId: string, aad: string, operation: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_ENCRYPTION_KEY_UNKNOWN', {
    operation,
    target: aad,
    reason: `failed: the keyring holds no key with id '${keyId}'`,
  })
}

function openParsed(parsed: Parsed, { keyring, aad }: SealOptions): Buffer {
  if (parsed.kind === 'plain') return parsed.plaintext
  const key = keyOf(keyring, parsed.keyId)
  if (key === undefined) throw unknownKey(parsed.keyId, aad, 'open sealed value of')
  const tag = parsed.body.subarray(parsed.body.length - tagLength)
  const ciphertext = parsed.body.subarray(0, parsed.body.length - tagLength)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.nonce, {
      authTagLength: tagLength,
    })
    decipher.setAAD(associatedData(parsed.keyId, aad))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    // The platform's error says nothing useful and is left out, so nothing of the input leaks.
    throw new SeamlineError('SEAM_ERR_DECRYPT_FAILED', {
      operation: 'open sealed value of',
      target: aad,
      reason: `failed: it did not authenticate under key '${parsed.keyId}' (altered, or sealed for another row)`,
    })
  }
}

function parseFor(sealed: unknown, options: OpenOptions): Parsed {
  checkAad(options.aad, 'open')
  const parsed = parse(sealed, options.aad)
  if (parsed.kind === 'plain' && options.acceptPlaintext === false) {
    throw malformed(options.aad, 'it is stored as plaintext, which this reader refuses')
  }
  return parsed
}

/** Decrypts a sealed value to its bytes; `aad` must be the row identity it was sealed with. */
export function openBytes(sealed: Sealed, options: OpenOptions): Uint8Array {
  return openParsed(parseFor(sealed, options), options)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Decrypts a sealed value to text; `aad` must be the row identity it was sealed with. */
export function open(sealed: Sealed, options: OpenOptions): string {
  const bytes = openBytes(sealed, options)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'open sealed value of',
      target: options.aad,
      reason: 'failed: its plaintext is bytes, not UTF-8 text; use openBytes',
    })
  }
}

/** The key id a sealed value names, `null` for a plaintext value; throws when malformed. */
export function sealedKeyId(sealed: Sealed, aad: string): string | null {
  checkAad(aad, 'read key id of')
  const parsed = parse(sealed, aad)
  return parsed.kind === 'plain' ? null : parsed.keyId
}

/**
 * Re-encrypts a value under the keyring's newest key. It is opened first, so a value that does
 * not authenticate is never laundered into a fresh one. A value already under the newest key is
 * returned unchanged (compare with `===` to skip the write); a plaintext value is encrypted.
 */
export function reseal(sealed: Sealed, options: OpenOptions): Sealed {
  const parsed = parseFor(sealed, options)
  const plaintext = openParsed(parsed, options)
  if (parsed.kind === 'sealed' && parsed.keyId === options.keyring.currentKeyId) return sealed
  try {
    return seal(plaintext, options)
  } finally {
    plaintext.fill(0)
  }
}

/** One stored value of a row, as `rotate` sees it. */
export interface RotateField {
  /** The stored value; `null` or `undefined` (no value) is skipped. */
  sealed: Sealed | null | undefined
  /** The row identity it is bound to. */
  aad: string
}

export interface RotateOptions<Row> {
  keyring: Keyring
  /** The rows to walk, e.g. pages read from a table. */
  rows: Iterable<Row> | AsyncIterable<Row>
  /** Picks the sealed value and its row identity out of a row. */
  field: (row: Row) => RotateField
  /** Stores the resealed value; called only when the value changed. */
  write: (row: Row, resealed: Sealed) => void | Promise<void>
  /** Stops between rows. */
  signal?: AbortSignal
  /** Whether plaintext values are encrypted (true by default) or refused. */
  acceptPlaintext?: boolean
}

export interface RotateReport {
  /** Rows read. */
  scanned: number
  /** Values written under the newest key (from an older key or from plaintext). */
  resealed: number
  /** Values already under the newest key. */
  current: number
  /** Rows without a value. */
  empty: number
}

/**
 * Walks rows and reseals each value under the keyring's newest key, writing only the values that
 * changed: the library side of a re-encrypt command. Stops at the first value that fails to
 * open, with that error (which names the row identity), after the rows before it were written.
 * Run it again to resume: rows already rotated are skipped without a write.
 */
export async function rotate<Row>(options: RotateOptions<Row>): Promise<RotateReport> {
  const report: RotateReport = { scanned: 0, resealed: 0, current: 0, empty: 0 }
  const openOptions = (aad: string): OpenOptions => ({
    keyring: options.keyring,
    aad,
    ...(options.acceptPlaintext === undefined ? {} : { acceptPlaintext: options.acceptPlaintext }),
  })
  for await (const row of options.rows) {
    options.signal?.throwIfAborted()
    report.scanned += 1
    const { sealed, aad } = options.field(row)
    if (sealed === null || sealed === undefined) {
      report.empty += 1
      continue
    }
    const resealed = reseal(sealed, openOptions(aad))
    if (resealed === sealed) {
      report.current += 1
      continue
    }
    await options.write(row, resealed)
    report.resealed += 1
  }
  return report
}

/** Marks a value as stored in plaintext (development only): `plain.<base64url>`. */
export function markPlaintext(plaintext: string | Uint8Array): Sealed {
  return `${plainPrefix}${toBytes(plaintext).toString('base64url')}`
}
