import { webcrypto } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type RegisteredWebhookSchemeName } from '../index.js'

// The Ed25519 (`v1a`) form of Standard Webhooks. No official JavaScript library signs or
// verifies it yet, so WebCrypto, used directly here, is the second implementation.

const { subtle } = webcrypto
const seed = Buffer.from('61ecd662f7709f9d57ef82987435c12ecee7f1f9c6e620e9c1e825c4604a0f7e', 'hex')
const publicKey = Buffer.from(
  '7088613173b13e4427402ae250a183cdf3e8c5e7dae0d0674bc55f0d0fdb4b09',
  'hex',
)
const secretKey = `whsk_${Buffer.concat([seed, publicKey]).toString('base64')}`
const seedOnly = `whsk_${seed.toString('base64')}`
const verifyingKey = `whpk_${publicKey.toString('base64')}`
const otherVerifyingKey = 'whpk_8gbtNWxxC0XcJR/uMMhJL84LWkbd1+dOT8kfrP7hCEk='
const hmacSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const payload = '{"type":"contact.created","data":{"id":"1f81eb52"}}'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const t = String(start / 1000)

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const signedContent = (msgId: string, at: string, body: string) =>
  new TextEncoder().encode(`${msgId}.${at}.${body}`)

async function webCryptoSign(body = payload): Promise<string> {
  const jwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    d: seed.toString('base64url'),
    x: publicKey.toString('base64url'),
  }
  const key = await subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['sign'])
  const signature = await subtle.sign('Ed25519', key, signedContent(id, t, body))
  return `v1a,${Buffer.from(signature).toString('base64')}`
}

async function webCryptoVerify(header: string, body = payload): Promise<boolean> {
  const key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify'])
  const signature = Buffer.from(header.replace(/^v1a,/, ''), 'base64')
  return subtle.verify('Ed25519', key, signature, signedContent(id, t, body))
}

describe.each<RegisteredWebhookSchemeName>(['standard-webhooks', 'svix'])(
  '%s Ed25519 (v1a)',
  (name) => {
    const scheme = webhookSchemes[name]
    const prefix = name === 'svix' ? 'svix' : 'webhook'
    const signed = scheme.sign({ payload, secret: secretKey, clock, id })
    const signature = signed[`${prefix}-signature`] ?? ''
    const verify = (headers: Record<string, string>, secrets = [verifyingKey]) =>
      scheme.verify(headers, payload, { secrets, clock })

    it('signs with whsk_ what WebCrypto verifies with the public key', async () => {
      expect(signature).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/)
      expect(await webCryptoVerify(signature)).toBe(true)
      expect(await webCryptoVerify(signature, `${payload} `)).toBe(false)
    })

    it('verifies with whpk_ what WebCrypto signs', async () => {
      const theirs = await webCryptoSign()
      expect(theirs).toBe(signature)
      const headers = { ...signed, [`${prefix}-signature`]: theirs }
      expect(verify(headers)).toEqual({ scheme: name, secretIndex: 0, timestamp: start, id })
      expect(codeOf(() => verify(headers, [otherVerifyingKey]))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    })

    it('signs alike from the 32-byte seed or the 64 bytes of seed and public key', () => {
      expect(scheme.sign({ payload, secret: seedOnly, clock, id })).toEqual(signed)
    })

    it('checks v1 and v1a entries each with its own kind of key, reporting which matched', () => {
      const hmac = scheme.sign({ payload, secret: hmacSecret, clock, id })[`${prefix}-signature`]
      const headers = { ...signed, [`${prefix}-signature`]: `${hmac} ${signature}` }
      expect(verify(headers, [hmacSecret, verifyingKey]).secretIndex).toBe(0)
      expect(verify(headers, [verifyingKey, hmacSecret]).secretIndex).toBe(0)
      expect(verify(headers, [otherVerifyingKey, verifyingKey]).secretIndex).toBe(1)
      expect(verify({ ...signed }, [hmacSecret, verifyingKey]).secretIndex).toBe(1)
    })

    it('refuses a v1a header when only HMAC secrets are listed, and a v1 one with only keys', () => {
      expect(codeOf(() => verify(signed, [hmacSecret]))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
      )
      const hmac = scheme.sign({ payload, secret: hmacSecret, clock, id })
      expect(codeOf(() => verify(hmac, [verifyingKey]))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
      )
    })

    it('rejects a signature in non-canonical base64 or of the wrong length', () => {
      const bytes = Buffer.from(signature.slice(4), 'base64')
      for (const forged of [
        // The last character carries 2 bits and 4 zero bits: "AQ==" and "AR==" decode alike.
        `v1a,${signature.slice(4, -3)}${String.fromCharCode(signature.charCodeAt(signature.length - 3) + 1)}==`,
        `v1a,${bytes.toString('base64').replace(/=+$/, '')}`,
        `v1a,${bytes.subarray(0, 63).toString('base64')}`,
        `v1a,${Buffer.concat([bytes, Buffer.from([0])]).toString('base64')}`,
      ]) {
        expect(
          codeOf(() => verify({ ...signed, [`${prefix}-signature`]: forged })),
          forged,
        ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
      }
    })

    it('keeps secret keys out of verify and public keys out of sign', () => {
      for (const bad of [
        secretKey,
        'whpk_',
        'whpk_AAAA',
        `whpk_${Buffer.alloc(33).toString('base64')}`,
      ]) {
        expect(
          codeOf(() => verify(signed, [bad])),
          bad,
        ).toBe('SEAM_ERR_INVALID_ARGUMENT')
      }
      const mismatched = `whsk_${Buffer.concat([seed, Buffer.alloc(32)]).toString('base64')}`
      for (const bad of [verifyingKey, 'whsk_', 'whsk_AAAA', mismatched]) {
        expect(
          codeOf(() => scheme.sign({ payload, secret: bad, clock, id })),
          bad,
        ).toBe('SEAM_ERR_INVALID_ARGUMENT')
      }
    })
  },
)
