import { generateKeyPairSync } from 'node:crypto'
import { verifyKey } from 'discord-interactions'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const discord = webhookSchemes.discord
const seed = '61ecd662f7709f9d57ef82987435c12ecee7f1f9c6e620e9c1e825c4604a0f7e'
const publicKey = '7088613173b13e4427402ae250a183cdf3e8c5e7dae0d0674bc55f0d0fdb4b09'
const otherPublicKey = 'f206ed356c710b45dc251fee30c8492fce0b5a46ddd7e74e4fc91facfee10849'
const payload =
  '{"id":"1184220418923257856","type":1,"application_id":"11","token":"tok","note":"café ☕"}'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, secrets = [publicKey], body = payload) =>
  discord.verify(headers, body, { secrets, clock })

describe('discord', () => {
  const signed = discord.sign({ payload, secret: seed, clock })
  const signature = signed['X-Signature-Ed25519'] ?? ''
  const timestamp = signed['X-Signature-Timestamp'] ?? ''

  it('signs "<timestamp><body>" with Ed25519, in lower-case hex', () => {
    expect(timestamp).toBe(String(start / 1000))
    expect(signature).toMatch(/^[0-9a-f]{128}$/)
    expect(verify(signed)).toEqual({ scheme: 'discord', secretIndex: 0, timestamp: start })
  })

  it("signs what discord-interactions' verifyKey accepts, and nothing else", async () => {
    expect(await verifyKey(payload, signature, timestamp, publicKey)).toBe(true)
    expect(await verifyKey(payload, signature, timestamp, otherPublicKey)).toBe(false)
    expect(await verifyKey(`${payload} `, signature, timestamp, publicKey)).toBe(false)
    expect(await verifyKey(payload, signature, String(start / 1000 + 1), publicKey)).toBe(false)
  })

  it('signs alike from the hex seed and from PKCS#8 PEM, and any key pair round-trips', async () => {
    const { privateKey, publicKey: pub } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const hex = Buffer.from(pub.export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex')
    const headers = discord.sign({ payload, secret: pem, clock })
    expect(verify(headers, [hex]).secretIndex).toBe(0)
    const sig = headers['X-Signature-Ed25519'] ?? ''
    expect(await verifyKey(payload, sig, timestamp, hex)).toBe(true)
  })

  it('rejects a signature in upper case or of the wrong length as not matching', () => {
    for (const forged of [signature.toUpperCase(), signature.slice(2), `${signature}00`, 'zz']) {
      expect(codeOf(() => verify({ ...signed, 'X-Signature-Ed25519': forged }))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })

  it('holds the timestamp to the tolerance, which discord-interactions does not check', () => {
    const late = new FakeClock({ now: start + 300_001 })
    expect(
      codeOf(() => discord.verify(signed, payload, { secrets: [publicKey], clock: late })),
    ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
  })

  it('takes 64 hex digits as the public key, and a seed or PEM to sign', () => {
    for (const bad of ['', publicKey.slice(2), `${publicKey}00`, `0x${publicKey.slice(2)}`]) {
      expect(
        codeOf(() => verify(signed, [bad])),
        bad,
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const ecPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    for (const bad of [seed.slice(2), ecPem, 'not a key']) {
      expect(codeOf(() => discord.sign({ payload, secret: bad, clock }))).toBe(
        'SEAM_ERR_INVALID_ARGUMENT',
      )
    }
  })
})
