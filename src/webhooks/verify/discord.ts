import type { KeyObject } from 'node:crypto'
import { rejection } from './failure.js'
import {
  ed25519PrivateKey,
  ed25519PrivateKeyFromPem,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
} from './ed25519.js'
import { singleHeader } from './headers.js'
import { matchingSecret } from './match.js'
import { signInputs, verifyInputs, type KeyFormat } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const signatureHeader = 'X-Signature-Ed25519'
const timestampHeader = 'X-Signature-Timestamp'
const hex32 = /^[0-9a-fA-F]{64}$/
// Lower-case only, as Discord sends it: two spellings of one signature must not both pass.
const signaturePattern = /^[0-9a-f]{128}$/

/** The application's public key, as the developer portal shows it: 64 hex digits. */
const publicKey: KeyFormat<KeyObject> = {
  decode: (secret) =>
    hex32.test(secret) ? ed25519PublicKey(Buffer.from(secret, 'hex')) : undefined,
  expected: "the application's Ed25519 public key, 64 hex digits",
}

/** Discord signs with a key it keeps; for tests, the seed (64 hex digits) or PKCS#8 PEM. */
const privateKey: KeyFormat<KeyObject> = {
  decode: (secret) =>
    hex32.test(secret)
      ? ed25519PrivateKey(Buffer.from(secret, 'hex'))
      : ed25519PrivateKeyFromPem(secret),
  expected: 'an Ed25519 private key: its 32-byte seed in hex, or PKCS#8 PEM',
}

/**
 * Discord interactions: `X-Signature-Ed25519: <hex Ed25519 signature of "<t><body>">` with
 * `X-Signature-Timestamp: <t>` (unix seconds), checked with the application's public key.
 * Discord's own library leaves the timestamp unchecked; here it is held to the tolerance.
 */
export const discord = Object.freeze<WebhookScheme>({
  name: 'discord',

  sign(options) {
    const { body, key, clock } = signInputs('discord', options, privateKey)
    const t = String(signingSeconds('discord', clock))
    return {
      [signatureHeader]: ed25519Sign(key, Buffer.from(t), body).toString('hex'),
      [timestampHeader]: t,
    }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'discord',
      headers,
      rawBody,
      options,
      publicKey,
    )
    const given = singleHeader('discord', headers, signatureHeader)
    const t = singleHeader('discord', headers, timestampHeader)
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) {
      throw rejection(
        'discord',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        `has a ${timestampHeader} header that is not unix seconds`,
      )
    }
    // Text that is not a signature is simply not a match, as a wrong HMAC would be.
    const signature = signaturePattern.test(given) ? Buffer.from(given, 'hex') : undefined
    const secretIndex = matchingSecret(
      'discord',
      keys,
      (key) => signature !== undefined && ed25519Verify(key, signature, Buffer.from(t), body),
      'has a signature that does not match its body',
    )
    assertFresh('discord', timestamp, clock, toleranceMs)
    return { scheme: 'discord', secretIndex, timestamp }
  },
})
