import { createVerify } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { paypalCertificateHosts, paypalScheme, webhookSchemes } from '../index.js'
import { selfSignedCertificate } from './self-signed.test.js'

const cert = selfSignedCertificate()
const certUrl =
  'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77'
const webhookId = '1JE4291016473214C'
const start = Date.UTC(2026, 0, 1, 12)
const clock = new FakeClock({ now: start })
const payload =
  '{"id":"WH-7MU294299R542214K-4N1831857K851783H","event_type":"PAYMENT.CAPTURE.COMPLETED","note":"café ☕"}'
const transmissionId = '69cd13f0-d67a-11e5-baa3-778b53f4ae55'

async function codeOf(fn: () => unknown): Promise<ErrorCode> {
  try {
    await fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

function setup() {
  const fetched: string[] = []
  const scheme = paypalScheme({
    fetchCertificate: async (url) => {
      fetched.push(url.href)
      return cert.certificatePem
    },
  })
  const headers = scheme.sign({
    payload,
    secret: cert.privateKeyPem,
    clock,
    id: transmissionId,
    webhookId,
    certUrl,
  })
  return { scheme, fetched, headers }
}

describe('paypal', () => {
  it('signs <id>|<time>|<webhook id>|<CRC32 of the body> with SHA256withRSA', () => {
    const { headers } = setup()
    expect(headers).toMatchObject({
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': '2026-01-01T12:00:00Z',
      'paypal-cert-url': certUrl,
      'paypal-auth-algo': 'SHA256withRSA',
    })
    // Written apart from the product code: the CRC32 as an unsigned decimal, checked with the
    // certificate's public key.
    const crc = crc32(Buffer.from(payload)) >>> 0
    const message = `${transmissionId}|2026-01-01T12:00:00Z|${webhookId}|${crc}`
    const verifier = createVerify('RSA-SHA256').update(message)
    expect(
      verifier.verify(cert.publicKey, headers['paypal-transmission-sig'] ?? '', 'base64'),
    ).toBe(true)
  })

  it('fetches the certificate once, then verifies from the cache', async () => {
    const { scheme, fetched, headers } = setup()
    const verified = await scheme.verifyAsync(headers, payload, { secrets: [webhookId], clock })
    expect(verified).toEqual({
      scheme: 'paypal',
      secretIndex: 0,
      timestamp: start,
      id: transmissionId,
    })
    await scheme.verifyAsync(headers, payload, { secrets: [webhookId], clock })
    expect(scheme.verify(headers, payload, { secrets: [webhookId], clock }).id).toBe(transmissionId)
    expect(fetched).toEqual([certUrl])
  })

  it('reports which webhook id matched, and rejects another', async () => {
    const { scheme, headers } = setup()
    const options = { secrets: ['WH0THER', webhookId], clock }
    expect((await scheme.verifyAsync(headers, payload, options)).secretIndex).toBe(1)
    expect(
      await codeOf(() => scheme.verifyAsync(headers, payload, { secrets: ['WH0THER'], clock })),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    expect(await codeOf(() => scheme.verifyAsync(headers, `${payload} `, options))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('never fetches from a host off the allow-list, or over anything but https', async () => {
    const { scheme, fetched, headers } = setup()
    const elsewhere = [
      'https://evil.example/cert.pem',
      'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1',
      'https://api.paypal.com:8443/v1/notifications/certs/CERT-1',
      'https://user@api.paypal.com/v1/notifications/certs/CERT-1',
      'https://169.254.169.254/latest/meta-data',
    ]
    for (const url of elsewhere) {
      expect(
        await codeOf(() =>
          scheme.verifyAsync({ ...headers, 'paypal-cert-url': url }, payload, {
            secrets: [webhookId],
            clock,
          }),
        ),
        url,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    }
    for (const url of [
      'http://api.paypal.com/v1/notifications/certs/CERT-1',
      'file:///etc/passwd',
      'x',
    ]) {
      expect(
        await codeOf(() =>
          scheme.verifyAsync({ ...headers, 'paypal-cert-url': url }, payload, {
            secrets: [webhookId],
            clock,
          }),
        ),
        url,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
    expect(fetched).toEqual([])
    expect(await codeOf(() => scheme.loadCertificate('https://evil.example/c'))).toBe(
      'SEAM_ERR_INVALID_ARGUMENT',
    )
    expect(paypalCertificateHosts).toContain('api.paypal.com')
    expect(paypalCertificateHosts).toContain('api.sandbox.paypal.com')
  })

  it('checks the headers before fetching anything', async () => {
    const { scheme, fetched, headers } = setup()
    const bad = [
      { 'paypal-auth-algo': 'SHA1withRSA' },
      { 'paypal-transmission-time': 'yesterday' },
      { 'paypal-transmission-id': 'a|b' },
      { 'paypal-transmission-sig': undefined },
    ]
    for (const change of bad) {
      expect(
        await codeOf(() =>
          scheme.verifyAsync({ ...headers, ...change }, payload, { secrets: [webhookId], clock }),
        ),
      ).toMatch(/^SEAM_ERR_WEBHOOK_SIGNATURE_(MALFORMED|MISSING)$/)
    }
    expect(fetched).toEqual([])
  })

  it('does not cache a failed fetch, and rejects what it could not fetch', async () => {
    let calls = 0
    const scheme = paypalScheme({
      fetchCertificate: async () => {
        calls += 1
        if (calls === 1) throw new Error('connection reset')
        return cert.certificatePem
      },
    })
    const headers = scheme.sign({ payload, secret: cert.privateKeyPem, clock, webhookId, certUrl })
    const options = { secrets: [webhookId], clock }
    expect(await codeOf(() => scheme.verifyAsync(headers, payload, options))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
    expect((await scheme.verifyAsync(headers, payload, options)).scheme).toBe('paypal')
    expect(calls).toBe(2)
  })

  it('refuses a certificate outside its validity dates, or one the caller does not trust', async () => {
    const expired = selfSignedCertificate(
      'old.paypal.test',
      new Date(Date.UTC(2020, 0, 1)),
      new Date(Date.UTC(2021, 0, 1)),
    )
    const scheme = paypalScheme({ fetchCertificate: async () => expired.certificatePem })
    const headers = scheme.sign({
      payload,
      secret: expired.privateKeyPem,
      clock,
      webhookId,
      certUrl,
    })
    expect(
      await codeOf(() => scheme.verifyAsync(headers, payload, { secrets: [webhookId], clock })),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
    const picky = paypalScheme({
      fetchCertificate: async () => cert.certificatePem,
      trustCertificate: (certificate) => certificate.subject.endsWith('.paypal.com'),
    })
    expect(
      await codeOf(() =>
        picky.verifyAsync(setup().headers, payload, { secrets: [webhookId], clock }),
      ),
    ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })

  it('keeps at most cacheSize certificates', async () => {
    const fetched: string[] = []
    const scheme = paypalScheme({
      cacheSize: 1,
      fetchCertificate: async (url) => {
        fetched.push(url.href)
        return cert.certificatePem
      },
    })
    const other = certUrl.replace('a77', 'b88')
    await scheme.loadCertificate(certUrl)
    await scheme.loadCertificate(other)
    await scheme.loadCertificate(certUrl)
    expect(fetched).toEqual([certUrl, other, certUrl])
    expect(await codeOf(() => paypalScheme({ cacheSize: 0 }))).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })

  it('cannot verify synchronously before the certificate is loaded, and says so', async () => {
    const { headers } = setup()
    expect(
      await codeOf(() =>
        webhookSchemes.paypal.verify(headers, payload, { secrets: [webhookId], clock }),
      ),
    ).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })

  it('needs a webhook id and a certificate URL to sign', async () => {
    const { scheme } = setup()
    expect(
      await codeOf(() => scheme.sign({ payload, secret: cert.privateKeyPem, clock, certUrl })),
    ).toBe('SEAM_ERR_INVALID_ARGUMENT')
    expect(
      await codeOf(() => scheme.sign({ payload, secret: cert.privateKeyPem, clock, webhookId })),
    ).toBe('SEAM_ERR_INVALID_ARGUMENT')
  })
})
