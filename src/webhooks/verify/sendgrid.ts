import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto'
import { rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { matchingSecret } from './match.js'
import { signInputs, verifyInputs, type KeyFormat } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookScheme } from '../webhook-scheme.js'

const signatureHeader = 'X-Twilio-Email-Event-Webhook-Signature'
const timestampHeader = 'X-Twilio-Email-Event-Webhook-Timestamp'
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/

const isP256 = (key: KeyObject): boolean =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'

function tryKey(make: () => KeyObject): KeyObject | undefined {
  try {
    const key = make()
    return isP256(key) ? key : undefined
  } catch {
    return undefined
  }
}

/**
 * The verification key SendGrid shows under Mail Settings → Signed Event Webhook: a P-256
 * public key as base64 DER (SubjectPublicKeyInfo). PEM is accepted too.
 */
const publicKey: KeyFormat<KeyObject> = {
  decode: (secret) => {
    const text = secret.trim()
    if (text.startsWith('-----BEGIN')) return tryKey(() => createPublicKey(text))
    if (!base64Pattern.test(text)) return undefined
    return tryKey(() =>
      createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' }),
    )
  },
  expected: 'a P-256 public key, base64 DER as SendGrid shows it, or PEM',
}

/** SendGrid signs with a key it keeps; for tests, a P-256 private key as PKCS#8 PEM or base64 DER. */
const privateKey: KeyFormat<KeyObject> = {
  decode: (secret) => {
    const text = secret.trim()
    if (text.startsWith('-----BEGIN')) return tryKey(() => createPrivateKey(text))
    if (!base64Pattern.test(text)) return undefined
    return tryKey(() =>
      createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' }),
    )
  },
  expected: 'a P-256 private key, PKCS#8 PEM or base64 DER',
}

function ecdsaVerify(key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', signed, { key, dsaEncoding: 'der' }, signature)
  } catch {
    // A signature that is not DER is simply not a match.
    return false
  }
}

/**
 * SendGrid's signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature: <base64 DER ECDSA
 * P-256 SHA-256 signature of "<t><body>">` with `X-Twilio-Email-Event-Webhook-Timestamp: <t>`
 * (unix seconds), checked with the account's verification key. SendGrid's library leaves the
 * timestamp unchecked; here it is held to the tolerance. ECDSA signatures are randomised, so
 * signing the same body twice gives two different valid signatures.
 */
export const sendgrid = Object.freeze<WebhookScheme>({
  name: 'sendgrid',

  sign(options) {
    const { body, key, clock } = signInputs('sendgrid', options, privateKey)
    const t = String(signingSeconds('sendgrid', clock))
    const signature = cryptoSign('sha256', Buffer.concat([Buffer.from(t), body]), {
      key,
      dsaEncoding: 'der',
    })
    return { [signatureHeader]: signature.toString('base64'), [timestampHeader]: t }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'sendgrid',
      headers,
      rawBody,
      options,
      publicKey,
    )
    const given = singleHeader('sendgrid', headers, signatureHeader)
    const t = singleHeader('sendgrid', headers, timestampHeader)
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) {
      throw rejection(
        'sendgrid',
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
        `has a ${timestampHeader} header that is not unix seconds`,
      )
    }
    // Only canonical base64: a decoder that skips stray characters must not let two texts pass.
    const decoded = Buffer.from(given, 'base64')
    const signature = decoded.toString('base64') === given ? decoded : undefined
    const signed = Buffer.concat([Buffer.from(t), body])
    const secretIndex = matchingSecret(
      'sendgrid',
      keys,
      (key) => signature !== undefined && ecdsaVerify(key, signed, signature),
      'has a signature that does not match its body',
    )
    assertFresh('sendgrid', timestamp, clock, toleranceMs)
    return { scheme: 'sendgrid', secretIndex, timestamp }
  },
})
