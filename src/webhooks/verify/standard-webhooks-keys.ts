import type { KeyObject } from 'node:crypto'
import { ed25519PrivateKey, ed25519PublicKey } from './ed25519.js'
import type { KeyFormat } from './options.js'

// The prefixes the Standard Webhooks spec gives each kind of secret, so the scheme follows
// from the secret alone: whsec_ for HMAC, whsk_/whpk_ for an Ed25519 secret/public key.
const hmacPrefix = 'whsec_'
const secretKeyPrefix = 'whsk_'
const publicKeyPrefix = 'whpk_'
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A key that checks `v1` (HMAC-SHA256) or `v1a` (Ed25519) signatures. */
export type StandardKey = { version: 'v1'; key: Buffer } | { version: 'v1a'; key: KeyObject }

function base64(text: string): Buffer | undefined {
  if (!base64Pattern.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.length > 0 ? bytes : undefined
}

/** `whsec_<base64>` (or the bare base64): the key is the decoded bytes, not the text. */
function hmacKey(secret: string): StandardKey | undefined {
  const key = base64(secret.startsWith(hmacPrefix) ? secret.slice(hmacPrefix.length) : secret)
  return key && { version: 'v1', key }
}

function withPrefix(secret: string, prefix: string): Buffer | undefined {
  return secret.startsWith(prefix) ? base64(secret.slice(prefix.length)) : undefined
}

/** What `verify` accepts: an HMAC secret, or the sender's Ed25519 public key `whpk_…`. */
export const verifyingKey: KeyFormat<StandardKey> = {
  decode(secret) {
    if (!secret.startsWith(publicKeyPrefix)) return hmacKey(secret)
    const raw = withPrefix(secret, publicKeyPrefix)
    const key = raw && ed25519PublicKey(raw)
    return key && { version: 'v1a', key }
  },
  expected: `non-empty base64, optionally prefixed ${hmacPrefix}, or an Ed25519 public key ${publicKeyPrefix}<base64 of 32 bytes>`,
}

/** What `sign` accepts: an HMAC secret, or an Ed25519 secret key `whsk_…`. */
export const signingKey: KeyFormat<StandardKey> = {
  decode(secret) {
    if (!secret.startsWith(secretKeyPrefix)) return hmacKey(secret)
    const raw = withPrefix(secret, secretKeyPrefix)
    const key = raw && ed25519PrivateKey(raw)
    return key && { version: 'v1a', key }
  },
  expected: `non-empty base64, optionally prefixed ${hmacPrefix}, or an Ed25519 secret key ${secretKeyPrefix}<base64 of the 32-byte seed, or of seed and public key>`,
}
