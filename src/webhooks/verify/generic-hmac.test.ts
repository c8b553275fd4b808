import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { genericHmacScheme, type GenericHmacOptions } from '../index.js'

const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const payload = '{"id":"evt_1","note":"café ☕"}'
const secret = 'convoy-style secret'

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

describe('genericHmacScheme', () => {
  it('signs the configured template, checked by a computation written apart', () => {
    const scheme = genericHmacScheme({
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'X-Signature',
      prefix: 'sha256=',
      signedContent: 'v1:{timestamp}:{id}:{body}',
      timestampHeader: 'X-Timestamp',
      idHeader: 'X-Delivery',
    })
    const headers = scheme.sign({ payload, secret, clock, id: 'dlv_1' })
    const t = String(start / 1000)
    const expected = createHmac('sha256', secret).update(`v1:${t}:dlv_1:${payload}`).digest('hex')
    expect(headers).toEqual({
      'X-Signature': `sha256=${expected}`,
      'X-Timestamp': t,
      'X-Delivery': 'dlv_1',
    })
    expect(scheme.verify(headers, payload, { secrets: [secret], clock })).toEqual({
      scheme: 'generic-hmac',
      secretIndex: 0,
      timestamp: start,
      id: 'dlv_1',
    })
  })

  it('supports every algorithm and encoding, and the timestamp formats', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        const scheme = genericHmacScheme({
          algorithm,
          encoding,
          header: 'Sig',
          signedContent: '{body}',
        })
        const expected = createHmac(algorithm, secret).update(payload).digest(encoding)
        expect(scheme.sign({ payload, secret })).toEqual({ Sig: expected })
      }
    }
    for (const [timestampFormat, text] of [
      ['unix-milliseconds', String(start)],
      ['rfc3339', '2026-01-01T12:00:00.000Z'],
    ] as const) {
      const scheme = genericHmacScheme({
        algorithm: 'sha256',
        encoding: 'hex',
        header: 'Sig',
        signedContent: '{timestamp}.{body}',
        timestampHeader: 'Ts',
        timestampFormat,
      })
      const headers = scheme.sign({ payload, secret, clock })
      expect(headers.Ts).toBe(text)
      expect(scheme.verify(headers, payload, { secrets: [secret], clock }).timestamp).toBe(start)
    }
  })

  it('uses its own default tolerance unless verify is given one', () => {
    const scheme = genericHmacScheme({
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'Sig',
      signedContent: '{timestamp}.{body}',
      timestampHeader: 'Ts',
      toleranceMs: 1_000,
    })
    const headers = scheme.sign({ payload, secret, clock })
    const late = new FakeClock({ now: start + 1_001 })
    expect(codeOf(() => scheme.verify(headers, payload, { secrets: [secret], clock: late }))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
    expect(
      scheme.verify(headers, payload, { secrets: [secret], clock: late, toleranceMs: 2_000 })
        .scheme,
    ).toBe('generic-hmac')
  })

  it('refuses a configuration that would verify less than it seems to', () => {
    const base: GenericHmacOptions = {
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'X-Signature',
      signedContent: '{body}',
    }
    const bad: Partial<Record<keyof GenericHmacOptions, unknown>>[] = [
      { algorithm: 'md5' },
      { encoding: 'base32' },
      { header: '' },
      { header: 'X Signature' },
      { signedContent: '{timestamp}' },
      { signedContent: '{body}{body}' },
      { signedContent: '{body}.{nonce}' },
      { signedContent: '{timestamp}.{body}' },
      { timestampHeader: 'X-Timestamp' },
      { signedContent: '{id}.{body}' },
      { idHeader: 'X-Id' },
      { signedContent: '{timestamp}.{body}', timestampHeader: 'x-signature' },
      { toleranceMs: -1 },
      { timestampFormat: 'iso' },
      { prefix: 42 },
    ]
    for (const change of bad) {
      expect(
        codeOf(() => genericHmacScheme({ ...base, ...change } as GenericHmacOptions)),
        JSON.stringify(change),
      ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    }
    expect(codeOf(() => genericHmacScheme(null as never))).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })

  it('needs the id to sign when it signs one', () => {
    const scheme = genericHmacScheme({
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'Sig',
      signedContent: '{id}.{body}',
      idHeader: 'Id',
    })
    expect(codeOf(() => scheme.sign({ payload, secret }))).toBe('SEAM_ERR_INVALID_ARGUMENT')
    expect(codeOf(() => scheme.verify({ Sig: 'x' }, payload, { secrets: [secret] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
    )
  })
})
