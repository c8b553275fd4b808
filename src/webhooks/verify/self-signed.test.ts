import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'

// A self-signed X.509 certificate written in DER by hand with node:crypto, so the PayPal tests
// run offline with no certificate library. Only what X509Certificate needs is encoded.

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}
const sequence = (...items: Buffer[]) => tlv(0x30, ...items)
const set = (...items: Buffer[]) => tlv(0x31, ...items)
const integer = (n: number) => tlv(0x02, Buffer.from([n]))
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'))
const generalizedTime = (date: Date) =>
  tlv(0x18, Buffer.from(`${date.toISOString().replace(/[-:T]|\.\d{3}/g, '')}`, 'ascii'))
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const groups: number[] = []
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift((v % 128) | (groups.length > 0 ? 0x80 : 0))
      if (v < 128) break
    }
    bytes.push(...groups)
  }
  return tlv(0x06, Buffer.from(bytes))
}
const name = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))))

export interface TestCertificate {
  privateKeyPem: string
  certificatePem: string
  publicKey: KeyObject
}

/** An RSA key pair and a self-signed certificate for it, valid from `notBefore` to `notAfter`. */
export function selfSignedCertificate(
  commonName = 'messageverificationcerts.paypal.test',
  notBefore = new Date(Date.UTC(1970, 0, 1)),
  notAfter = new Date(Date.UTC(2100, 0, 1)),
): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), tlv(0x05)) // sha256WithRSAEncryption
  const tbs = sequence(
    tlv(0xa0, integer(2)), // v3
    integer(1),
    algorithm,
    name(commonName),
    sequence(generalizedTime(notBefore), generalizedTime(notAfter)),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  )
  const signature = sign('sha256', tbs, privateKey)
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature))
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n')
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    publicKey,
  }
}

describe('selfSignedCertificate', () => {
  it('makes a certificate X509Certificate reads, signed by its own key', () => {
    const made = selfSignedCertificate('example.test', new Date(Date.UTC(2020, 0, 1)))
    const certificate = new X509Certificate(made.certificatePem)
    expect(certificate.subject).toBe('CN=example.test')
    expect(certificate.verify(made.publicKey)).toBe(true)
    expect(Date.parse(certificate.validFrom)).toBe(Date.UTC(2020, 0, 1))
    expect(Date.parse(certificate.validTo)).toBe(Date.UTC(2100, 0, 1))
  })
})
