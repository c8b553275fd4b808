import { EventWebhook } from '@sendgrid/eventwebhook'
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes } from '../index.js'

const sendgrid = webhookSchemes.sendgrid
const signatureHeader = 'X-Twilio-Email-Event-Webhook-Signature'
const timestampHeader = 'X-Twilio-Email-Event-Webhook-Timestamp'

// The known-answer vector in @sendgrid/eventwebhook's own tests (eventwebhook.spec.js).
const publicKey =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=='
const signature =
  'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM='
const timestamp = '1600112502'
const payload = `${JSON.stringify([
  {
    email: 'hello@world.com',
    event: 'dropped',
    reason: 'Bounced Address',
    sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
    'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
    timestamp: 1600112492,
  },
])}\r\n`
const headers = { [signatureHeader]: signature, [timestampHeader]: timestamp }
const clock = new FakeClock({ now: Number(timestamp) * 1000 })

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

describe('sendgrid', () => {
  it("verifies the signed event in SendGrid's library tests, trailing CRLF included", () => {
    expect(sendgrid.verify(headers, payload, { secrets: [publicKey], clock })).toEqual({
      scheme: 'sendgrid',
      secretIndex: 0,
      timestamp: Number(timestamp) * 1000,
    })
    expect(
      codeOf(() => sendgrid.verify(headers, payload.trimEnd(), { secrets: [publicKey], clock })),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })

  it('accepts the verification key as PEM too', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----\n`
    expect(sendgrid.verify(headers, payload, { secrets: [pem], clock }).secretIndex).toBe(0)
  })

  it('holds the signed timestamp to the tolerance, which SendGrid\u2019s library does not', () => {
    const late = new FakeClock({ now: (Number(timestamp) + 301) * 1000 })
    expect(
      codeOf(() => sendgrid.verify(headers, payload, { secrets: [publicKey], clock: late })),
    ).toBe('SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE')
  })

  it('refuses a signature in non-canonical base64, which a lenient decoder would read alike', () => {
    for (const forged of [`${signature}\n`, signature.replace('=', ''), ` ${signature}`]) {
      expect(
        codeOf(() =>
          sendgrid.verify({ ...headers, [signatureHeader]: forged }, payload, {
            secrets: [publicKey],
            clock,
          }),
        ),
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    }
  })

  it('refuses keys that are not P-256', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const p384 = other.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' })
    for (const key of [p384, ed.toString('base64'), 'not base64 at all!', signature]) {
      expect(codeOf(() => sendgrid.verify(headers, payload, { secrets: [key], clock }))).toBe(
        'SEAM_ERR_INVALID_ARGUMENT',
      )
    }
  })

  it('signs what EventWebhook#verifySignature accepts, and nothing else', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const secret = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const signed = sendgrid.sign({ payload, secret, clock })
    const ew = new EventWebhook()
    const key = ew.convertPublicKeyToECDSA(
      pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    )
    const sig = signed[signatureHeader] ?? ''
    expect(ew.verifySignature(key, payload, sig, signed[timestampHeader] ?? '')).toBe(true)
    expect(ew.verifySignature(key, `${payload} `, sig, signed[timestampHeader] ?? '')).toBe(false)
    expect(ew.verifySignature(key, payload, sig, String(Number(timestamp) + 1))).toBe(false)
  })
})
