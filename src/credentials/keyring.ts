import { createSecretKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SeamlineError } from '../errors/index.js'

/** The variable that holds the encryption keys, newest first: `k2:<base64>,k1:<base64>`. */
export const encryptionKeysVariable = 'SEAMLINE_ENCRYPTION_KEYS'

/** The length of every key, in bytes (AES-256). */
export const keyLength = 32

// Ids travel inside sealed values (`v1.<keyId>.…`), so they may not hold `.`, `:` or `,`.
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** One key as configured: an id (stored with every value it seals) and 32 bytes. */
export interface EncryptionKey {
  /** Letters, digits, `_` and `-`, at most 64; stored in clear beside each ciphertext. */
  id: string
  /** 32 bytes, or their standard base64. */
  key: Uint8Array | string
}

/**
 * The keys values are sealed with. The first key is the newest: new values are sealed with it,
 * and every key opens values sealed with it. The key bytes cannot be read back from a keyring.
 */
export interface Keyring {
  /** The id new values are sealed under. */
  readonly currentKeyId: string
  /** Every id, newest first. */
  readonly keyIds: readonly string[]
  has(keyId: string): boolean
}

// The key material lives here, out of reach of the keyring object (and so of logs and
// `JSON.stringify`); sealed.ts reads it through `keyOf`.
const material = new WeakMap<Keyring, ReadonlyMap<string, KeyObject>>()

/** Where a setting came from, for error messages: `SEAMLINE_ENCRYPTION_KEYS` or a file's setting. */
export interface KeySource {
  /** The setting's name, e.g. `SEAMLINE_ENCRYPTION_KEYS` or `SEAMLINE_ENCRYPTION_KEYS_FILE`. */
  setting: string
}

function invalid(setting: string, reason: string, cause?: unknown): SeamlineError {
  return new SeamlineError('SEAM_ERR_ENCRYPTION_KEY_INVALID', {
    operation: 'read encryption keys from',
    target: setting,
    reason,
    ...(cause === undefined ? {} : { cause }),
  })
}

function decodeKey(key: Uint8Array | string, setting: string, label: string): Buffer {
  if (typeof key === 'string') {
    if (!base64Pattern.test(key)) {
      throw invalid(setting, `failed: the key of ${label} is not standard base64`)
    }
    const bytes = Buffer.from(key, 'base64')
    if (bytes.length !== keyLength) {
      bytes.fill(0)
      throw invalid(
        setting,
        `failed: the key of ${label} decodes to ${bytes.length} bytes, not ${keyLength}`,
      )
    }
    return bytes
  }
  if (!(key instanceof Uint8Array) || key.length !== keyLength) {
    const size = key instanceof Uint8Array ? `${key.length} bytes` : 'not bytes'
    throw invalid(setting, `failed: the key of ${label} is ${size}, not ${keyLength} bytes`)
  }
  return Buffer.from(key)
}

/**
 * Builds a keyring from keys newest first. Throws `SEAM_ERR_ENCRYPTION_KEY_INVALID`, naming the
 * setting and the key's id or position but never its bytes, when a key is malformed.
 */
export function keyring(
  keys: readonly EncryptionKey[],
  source: KeySource = { setting: 'keyring' },
): Keyring {
  const { setting } = source
  if (keys.length === 0) throw invalid(setting, 'failed: it holds no key')
  const objects = new Map<string, KeyObject>()
  keys.forEach(({ id, key }, index) => {
    const label = `entry ${index + 1}`
    if (typeof id !== 'string' || !keyIdPattern.test(id)) {
      throw invalid(
        setting,
        `failed: ${label} has an id that is not 1 to 64 letters, digits, '_' or '-'`,
      )
    }
    if (objects.has(id)) throw invalid(setting, `failed: the key id '${id}' is used twice`)
    const bytes = decodeKey(key, setting, `'${id}'`)
    objects.set(id, createSecretKey(bytes))
    bytes.fill(0)
  })
  const keyIds = Object.freeze([...objects.keys()])
  const ring: Keyring = Object.freeze({
    currentKeyId: keyIds[0] as string,
    keyIds,
    has: (keyId: string) => objects.has(keyId),
  })
  material.set(ring, objects)
  return ring
}

/**
 * Parses `id:base64,id:base64` (newest first; commas, whitespace or new lines between entries)
 * into a keyring, as held by `SEAMLINE_ENCRYPTION_KEYS` or the file its `_FILE` names.
 */
export function parseKeyring(text: string, source: KeySource): Keyring {
  const entries = text.split(/[,\s]+/).filter((entry) => entry !== '')
  const keys = entries.map((entry, index): EncryptionKey => {
    const colon = entry.indexOf(':')
    if (colon <= 0) {
      throw invalid(source.setting, `failed: entry ${index + 1} is not in the form <id>:<base64>`)
    }
    return { id: entry.slice(0, colon), key: entry.slice(colon + 1) }
  })
  return keyring(keys, source)
}

export interface KeyringFromEnvOptions {
  /** The variable to read; `SEAMLINE_ENCRYPTION_KEYS` by default. `<variable>_FILE` names a file. */
  variable?: string
  /** Reads the `_FILE`; `fs.readFileSync(path, 'utf8')` by default. */
  readFile?: (path: string) => string
}

/**
 * Reads the keyring from the environment: `SEAMLINE_ENCRYPTION_KEYS`, or the file named by
 * `SEAMLINE_ENCRYPTION_KEYS_FILE` holding the same text. Returns `undefined` when neither is set
 * (the sealer then decides whether the profile may run without keys); throws
 * `SEAM_ERR_ENCRYPTION_KEY_INVALID` naming the variable when both are set or either is malformed.
 */
export function keyringFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: KeyringFromEnvOptions = {},
): Keyring | undefined {
  const variable = options.variable ?? encryptionKeysVariable
  const fileVariable = `${variable}_FILE`
  const inline = env[variable]
  const file = env[fileVariable]
  const inlineSet = inline !== undefined && inline.trim() !== ''
  const fileSet = file !== undefined && file.trim() !== ''
  if (inlineSet && fileSet) {
    throw invalid(variable, `failed: both ${variable} and ${fileVariable} are set; keep one`)
  }
  if (inlineSet) return parseKeyring(inline, { setting: variable })
  if (!fileSet) return undefined
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'))
  let text: string
  try {
    text = readFile(file.trim())
  } catch (error) {
    throw invalid(fileVariable, 'failed: the file it names cannot be read', error)
  }
  return parseKeyring(text, { setting: fileVariable })
}

/** The key behind an id, or `undefined`. Not part of the public API. */
export function keyOf(ring: Keyring, keyId: string): KeyObject | undefined {
  return material.get(ring)?.get(keyId)
}
