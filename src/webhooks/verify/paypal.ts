import {
  createPrivateKey,
  randomUUID,
  sign as cryptoSign,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import { crc32 } from 'node:zlib'
import { SeamlineError } from '../../errors/index.js'
import { invalidArgument, rejection } from './failure.js'
import { singleHeader } from './headers.js'
import { matchingSecret } from './match.js'
import { signInputs, verifyInputs, type KeyFormat } from './options.js'
import { assertFresh, parseRfc3339, signingSeconds } from './timestamp.js'
import type {
  SignOptions,
  VerifiedWebhook,
  VerifyOptions,
  WebhookHeaders,
  WebhookScheme,
} from '../webhook-scheme.js'

const idHeader = 'paypal-transmission-id'
const timeHeader = 'paypal-transmission-time'
const signatureHeader = 'paypal-transmission-sig'
const certUrlHeader = 'paypal-cert-url'
const algorithmHeader = 'paypal-auth-algo'
const algorithm = 'SHA256withRSA'

/**
 * The hosts PayPal's certificate URLs are served from: the live and sandbox API hosts, under
 * their classic names (seen in the `paypal-cert-url` of delivered webhooks) and their `api-m`
 * names (PayPal's current API hosts; not confirmed to serve certificates).
 */
export const paypalCertificateHosts: readonly string[] = Object.freeze([
  'api.paypal.com',
  'api.sandbox.paypal.com',
  'api-m.paypal.com',
  'api-m.sandbox.paypal.com',
])

// PayPal's schema for a webhook id; no `|`, which separates the signed fields.
const webhookIdPattern = /^[A-Za-z0-9]+$/
const transmissionIdPattern = /^[\x21-\x7b\x7d\x7e]{1,100}$/
const maxCertificateBytes = 64 * 1024

export interface PaypalSchemeOptions {
  /**
   * Fetches the PEM text at an allowed `https` certificate URL. Default: `fetch` without
   * following redirects, at most 64 KiB, 10 s. Tests inject one that answers offline.
   */
  fetchCertificate?: (url: URL) => Promise<string>
  /** Hosts a certificate may be fetched from, exactly. Default `paypalCertificateHosts`. */
  allowedHosts?: readonly string[]
  /** How many certificates are kept, least recently used dropped first. Default 32. */
  cacheSize?: number
  /**
   * A further check of a fetched certificate (its issuer, its subject), on top of the host
   * allow-list and its validity dates; return false to refuse it.
   */
  trustCertificate?: (certificate: X509Certificate) => boolean
}

export interface PaypalSignOptions extends SignOptions {
  /** The webhook id the event is sent for; PayPal signs it. */
  webhookId?: string
  /** The URL `verify` fetches the signing certificate from. */
  certUrl?: string
}

export interface PaypalScheme extends WebhookScheme {
  /** `secret` is the RSA private key (PKCS#8 or PKCS#1 PEM) of the test certificate. */
  sign(options: PaypalSignOptions): Record<string, string>
  /**
   * Verifies with the certificate already loaded for the request's `paypal-cert-url`; throws
   * `SEAM_ERR_INVALID_ARGUMENT` when it is not loaded yet (use `verifyAsync`).
   */
  verify(
    headers: WebhookHeaders,
    rawBody: string | Uint8Array,
    options: VerifyOptions,
  ): VerifiedWebhook
  /** Checks the headers, fetches the certificate when it is not cached, then verifies. */
  verifyAsync(
    headers: WebhookHeaders,
    rawBody: string | Uint8Array,
    options: VerifyOptions,
  ): Promise<VerifiedWebhook>
  /** Fetches and caches the certificate at `url` (which must be allowed). */
  loadCertificate(url: string): Promise<void>
}

/** What `verify` is given: the webhook ids the endpoint is registered under. */
const webhookIdFormat: KeyFormat<string> = {
  decode: (secret) => (webhookIdPattern.test(secret) ? secret : undefined),
  expected: 'a PayPal webhook id (letters and digits)',
}

const privateKeyFormat: KeyFormat<KeyObject> = {
  decode: (secret) => {
    try {
      const key = createPrivateKey(secret)
      return key.asymmetricKeyType === 'rsa' ? key : undefined
    } catch {
      return undefined
    }
  },
  expected: 'an RSA private key in PEM',
}

const malformed = (what: string) =>
  rejection('paypal', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)

const signedMessage = (id: string, time: string, webhookId: string, body: Uint8Array) =>
  Buffer.from(`${id}|${time}|${webhookId}|${crc32(body)}`)

interface Transmission {
  id: string
  time: string
  timestamp: number
  signature: Buffer | undefined
  certUrl: URL
}

interface Loaded {
  certificate: X509Certificate
  publicKey: KeyObject
}

async function defaultFetch(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`certificate fetch answered ${response.status}`)
  const text = await response.text()
  if (text.length > maxCertificateBytes) throw new Error('certificate larger than 64 KiB')
  return text
}

/**
 * PayPal's certificate-based signature. PayPal signs
 * `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body, unsigned decimal>`
 * with SHA256withRSA and sends the base64 signature in `paypal-transmission-sig`, the
 * certificate's URL in `paypal-cert-url`. `secrets` are the webhook ids the endpoint is
 * registered under (not secret, but they bind the event to this endpoint); `secretIndex` says
 * which matched.
 *
 * The certificate is fetched only from `https` URLs on the allowed hosts, never before the
 * headers are checked, and cached. It must be RSA and within its validity dates at the
 * clock's time; its chain is **not** validated (trust rests on TLS to an allowed PayPal host),
 * `trustCertificate` can add checks. The transmission time is held to the tolerance.
 */
export function paypalScheme(schemeOptions: PaypalSchemeOptions = {}): PaypalScheme {
  const {
    fetchCertificate = defaultFetch,
    allowedHosts = paypalCertificateHosts,
    cacheSize = 32,
    trustCertificate,
  } = schemeOptions
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'paypalScheme',
      target: 'cacheSize',
      reason: `must be a whole number >= 1 (got ${String(cacheSize)})`,
    })
  }
  const hosts = new Set(allowedHosts.map((host) => host.toLowerCase()))
  const cache = new Map<string, Loaded>()
  const loading = new Map<string, Promise<Loaded>>()

  /** The allowed certificate URL in `text`, or a rejection. */
  function certificateUrl(text: string): URL {
    const url = URL.canParse(text) ? new URL(text) : undefined
    if (url?.protocol !== 'https:') throw malformed(`a ${certUrlHeader} that is not an https URL`)
    if (url.username !== '' || url.password !== '' || url.port !== '' || !hosts.has(url.hostname)) {
      throw rejection(
        'paypal',
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        `has a ${certUrlHeader} on a host that is not allowed to serve PayPal certificates`,
      )
    }
    url.hash = ''
    return url
  }

  function read(headers: WebhookHeaders): Transmission {
    const id = singleHeader('paypal', headers, idHeader)
    const time = singleHeader('paypal', headers, timeHeader)
    const given = singleHeader('paypal', headers, signatureHeader)
    const certText = singleHeader('paypal', headers, certUrlHeader)
    const algo = singleHeader('paypal', headers, algorithmHeader)
    if (algo !== algorithm) throw malformed(`a ${algorithmHeader} other than ${algorithm}`)
    if (!transmissionIdPattern.test(id)) {
      throw malformed(`a ${idHeader} that is not visible ASCII without "|"`)
    }
    const timestamp = parseRfc3339(time)
    if (timestamp === undefined) throw malformed(`a ${timeHeader} that is not an RFC 3339 time`)
    // Only canonical base64: a decoder that skips stray characters must not let two texts pass.
    const decoded = Buffer.from(given, 'base64')
    const signature = decoded.toString('base64') === given ? decoded : undefined
    return { id, time, timestamp, signature, certUrl: certificateUrl(certText) }
  }

  function remember(key: string, loaded: Loaded): void {
    cache.delete(key)
    cache.set(key, loaded)
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next()
      if (oldest.done === true) break
      cache.delete(oldest.value)
    }
  }

  async function load(url: URL): Promise<Loaded> {
    const key = url.href
    const cached = cache.get(key)
    if (cached) return cached
    let pending = loading.get(key)
    if (!pending) {
      pending = (async () => {
        const pem = await fetchCertificate(new URL(key))
        if (typeof pem !== 'string') throw new Error('the certificate fetch returned no text')
        const certificate = new X509Certificate(pem)
        const { publicKey } = certificate
        if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('the certificate is not RSA')
        return { certificate, publicKey }
      })()
      loading.set(key, pending)
    }
    try {
      const loaded = await pending
      remember(key, loaded)
      return loaded
    } finally {
      loading.delete(key)
    }
  }

  function check(
    transmission: Transmission,
    loaded: Loaded,
    rawBody: string | Uint8Array,
    headers: WebhookHeaders,
    options: VerifyOptions,
  ): VerifiedWebhook {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'paypal',
      headers,
      rawBody,
      options,
      webhookIdFormat,
    )
    const { id, time, timestamp, signature } = transmission
    const { certificate, publicKey } = loaded
    const now = clock.now()
    const trusted =
      Date.parse(certificate.validFrom) <= now &&
      now <= Date.parse(certificate.validTo) &&
      (trustCertificate?.(certificate) ?? true)
    if (!trusted) {
      throw rejection(
        'paypal',
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
        'has a signing certificate that is outside its validity dates or not trusted',
      )
    }
    const secretIndex = matchingSecret(
      'paypal',
      keys,
      (webhookId) =>
        signature !== undefined &&
        rsaVerify(publicKey, signedMessage(id, time, webhookId, body), signature),
      'has a signature that does not match its body and webhook id',
    )
    assertFresh('paypal', timestamp, clock, toleranceMs)
    return { scheme: 'paypal', secretIndex, timestamp, id }
  }

  return Object.freeze<PaypalScheme>({
    name: 'paypal',

    sign(options) {
      const { body, key, clock } = signInputs('paypal', options, privateKeyFormat)
      const { webhookId, certUrl, id = randomUUID() } = options
      if (typeof webhookId !== 'string' || !webhookIdPattern.test(webhookId)) {
        throw invalidArgument('sign', 'paypal', 'webhookId', 'must be a PayPal webhook id')
      }
      if (typeof certUrl !== 'string' || !URL.canParse(certUrl)) {
        throw invalidArgument('sign', 'paypal', 'certUrl', 'must be the URL of the certificate')
      }
      if (typeof id !== 'string' || !transmissionIdPattern.test(id)) {
        throw invalidArgument('sign', 'paypal', 'id', 'must be visible ASCII without "|"')
      }
      const time = new Date(signingSeconds('paypal', clock) * 1000)
        .toISOString()
        .replace('.000Z', 'Z')
      const signature = cryptoSign('sha256', signedMessage(id, time, webhookId, body), key)
      return {
        [idHeader]: id,
        [timeHeader]: time,
        [signatureHeader]: signature.toString('base64'),
        [certUrlHeader]: certUrl,
        [algorithmHeader]: algorithm,
      }
    },

    verify(headers, rawBody, options) {
      // Arguments first, so a misconfigured receiver fails loudly on every request.
      verifyInputs('paypal', headers, rawBody, options, webhookIdFormat)
      const transmission = read(headers)
      const loaded = cache.get(transmission.certUrl.href)
      if (!loaded) {
        throw invalidArgument(
          'verify',
          'paypal',
          'options',
          `cannot verify synchronously: the certificate at ${certUrlHeader} is not loaded (use verifyAsync)`,
        )
      }
      return check(transmission, loaded, rawBody, headers, options)
    },

    async verifyAsync(headers, rawBody, options) {
      verifyInputs('paypal', headers, rawBody, options, webhookIdFormat)
      const transmission = read(headers)
      let loaded: Loaded
      try {
        loaded = await load(transmission.certUrl)
      } catch {
        // Not cached: a later delivery (PayPal retries) fetches again.
        throw rejection(
          'paypal',
          'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
          `has a ${certUrlHeader} whose certificate could not be fetched or read`,
        )
      }
      return check(transmission, loaded, rawBody, headers, options)
    },

    async loadCertificate(url) {
      const parsed = URL.canParse(url) ? new URL(url) : undefined
      if (
        parsed?.protocol !== 'https:' ||
        parsed.username !== '' ||
        parsed.password !== '' ||
        parsed.port !== '' ||
        !hosts.has(parsed.hostname)
      ) {
        throw invalidArgument(
          'verify',
          'paypal',
          'url',
          'must be an https URL on an allowed certificate host',
        )
      }
      parsed.hash = ''
      await load(parsed)
    },
  })
}

function rsaVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', message, key, signature)
  } catch {
    return false
  }
}

/** PayPal with the default certificate fetch, hosts and cache. */
export const paypal = paypalScheme()
