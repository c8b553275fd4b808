import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto'

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): the fixed header, then the seed.
const pkcs8SeedPrefix = Buffer.from('302e020100300506032b657004220420', 'hex')

/** An Ed25519 public key from its 32 raw bytes, or undefined when they are not one. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject | undefined {
  if (raw.length !== 32) return undefined
  try {
    const x = Buffer.from(raw).toString('base64url')
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
  } catch {
    return undefined
  }
}

/**
 * An Ed25519 private key from its 32-byte seed, or from the 64 bytes of seed and public key
 * that libsodium and Svix store (the public half must then belong to the seed).
 */
export function ed25519PrivateKey(raw: Uint8Array): KeyObject | undefined {
  if (raw.length !== 32 && raw.length !== 64) return undefined
  const seed = raw.subarray(0, 32)
  const key = createPrivateKey({
    key: Buffer.concat([pkcs8SeedPrefix, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  if (raw.length === 64 && !rawPublicKey(key).equals(raw.subarray(32))) return undefined
  return key
}

/** An Ed25519 private key from PKCS#8 PEM text, or undefined when it is not one. */
export function ed25519PrivateKeyFromPem(pem: string): KeyObject | undefined {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' })
    return key.asymmetricKeyType === 'ed25519' ? key : undefined
  } catch {
    return undefined
  }
}

/** The 32 raw bytes of the public half of a private or public Ed25519 key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const { x } = publicKey.export({ format: 'jwk' })
  return Buffer.from(x ?? '', 'base64url')
}

export function ed25519Sign(privateKey: KeyObject, ...parts: readonly Uint8Array[]): Buffer {
  return cryptoSign(null, Buffer.concat(parts), privateKey)
}

/** True when `signature` is the key's signature of the parts, concatenated. */
export function ed25519Verify(
  publicKey: KeyObject,
  signature: Uint8Array,
  ...parts: readonly Uint8Array[]
): boolean {
  // A signature is 64 bytes; anything else cannot be one, and OpenSSL need not see it.
  if (signature.length !== 64) return false
  return cryptoVerify(null, Buffer.concat(parts), publicKey, signature)
}
