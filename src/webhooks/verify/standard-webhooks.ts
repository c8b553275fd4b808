import { invalidArgument, rejection } from './failure.js'
import { ed25519Sign, ed25519Verify } from './ed25519.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, verifyInputs } from './options.js'
import { signingKey, verifyingKey, type StandardKey } from './standard-webhooks-keys.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookHeaders, WebhookScheme, WebhookSchemeName } from '../webhook-scheme.js'

type HeaderPrefix = 'webhook' | 'svix'

// `a.b.c` could split as id `a`, timestamp `b` or id `a.b`, timestamp `c`: with a dot allowed
// in the id, a signature could be re-read with another timestamp and body. The spec forbids it.
const idPattern = /^[^.]+$/
// What `sign` will put in a header: visible ASCII, no dot.
const signableIdPattern = /^[\x21-\x2d\x2f-\x7e]+$/

const signedContent = (id: string, t: string, body: Uint8Array): Uint8Array[] => [
  Buffer.from(`${id}.${t}.`),
  body,
]

function signatureOf(key: StandardKey, id: string, t: string, body: Uint8Array): string {
  const parts = signedContent(id, t, body)
  const bytes =
    key.version === 'v1' ? hmacSha256(key.key, ...parts) : ed25519Sign(key.key, ...parts)
  return `${key.version},${bytes.toString('base64')}`
}

/** Whether one of `signatures` (`v1,<base64>` or `v1a,<base64>` entries) is the key's. */
function signedBy(
  key: StandardKey,
  signatures: readonly string[],
  id: string,
  t: string,
  body: Uint8Array,
): boolean {
  const prefix = `${key.version},`
  const mine = signatures.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length))
  if (key.version === 'v1') {
    return equalsAny(mine, hmacSha256(key.key, ...signedContent(id, t, body)).toString('base64'))
  }
  const parts = signedContent(id, t, body)
  return mine.some((s) => {
    // Only canonical base64: a decoder that skips stray characters must not let two texts pass.
    const signature = Buffer.from(s, 'base64')
    return signature.toString('base64') === s && ed25519Verify(key.key, signature, ...parts)
  })
}

/**
 * The Standard Webhooks format, under the header names `prefixes[0]`-id, -timestamp and
 * -signature (read from `prefixes[1]`-… when the first set carries no signature). Signatures
 * are a space-separated list of `v1,<base64 HMAC-SHA256>` and `v1a,<base64 Ed25519>` entries,
 * both over `<id>.<timestamp>.<body>`; the secret's prefix says which a key makes or checks.
 */
export function standardWebhooksScheme(
  name: WebhookSchemeName,
  prefixes: readonly [HeaderPrefix, HeaderPrefix],
): WebhookScheme {
  const malformed = (what: string) =>
    rejection(name, 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)

  function read(headers: WebhookHeaders) {
    const [preferred, fallback] = prefixes
    const useFallback =
      headerValues(headers, `${preferred}-signature`).length === 0 &&
      headerValues(headers, `${fallback}-signature`).length > 0
    const prefix = useFallback ? fallback : preferred
    const ids = headerValues(headers, `${prefix}-id`)
    const ts = headerValues(headers, `${prefix}-timestamp`)
    const sigs = headerValues(headers, `${prefix}-signature`)
    const missing = [
      ids.length === 0 && `${prefix}-id`,
      ts.length === 0 && `${prefix}-timestamp`,
      sigs.length === 0 && `${prefix}-signature`,
    ].filter((header) => header !== false)
    if (missing.length > 0) {
      throw rejection(
        name,
        'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
        `has ${missing.map((header) => `no ${header} header`).join(', ')}`,
      )
    }
    const [id] = ids
    const [t] = ts
    if (id === undefined || t === undefined || ids.length > 1 || ts.length > 1) {
      throw malformed(
        `more than one ${ids.length > 1 ? `${prefix}-id` : `${prefix}-timestamp`} header`,
      )
    }
    // Repeated signature headers are one list, as are the entries within each.
    return { prefix, id, t, signatures: sigs.join(' ').split(/\s+/) }
  }

  return Object.freeze<WebhookScheme>({
    name,

    sign(options) {
      const { body, key, clock } = signInputs(name, options, signingKey)
      const { id } = options
      if (typeof id !== 'string' || !signableIdPattern.test(id)) {
        throw invalidArgument(
          'sign',
          name,
          'id',
          id === undefined
            ? `is required: it becomes the ${prefixes[0]}-id header`
            : 'must be a non-empty string of visible ASCII characters without "."',
        )
      }
      const t = String(signingSeconds(name, clock))
      return {
        [`${prefixes[0]}-id`]: id,
        [`${prefixes[0]}-timestamp`]: t,
        [`${prefixes[0]}-signature`]: signatureOf(key, id, t, body),
      }
    },

    verify(headers, rawBody, options) {
      const { body, keys, clock, toleranceMs } = verifyInputs(
        name,
        headers,
        rawBody,
        options,
        verifyingKey,
      )
      const { prefix, id, t, signatures } = read(headers)
      if (!idPattern.test(id)) throw malformed(`a ${prefix}-id header that contains "."`)
      const timestamp = parseUnixSeconds(t)
      if (timestamp === undefined) {
        throw malformed(`a ${prefix}-timestamp header that is not unix seconds`)
      }
      // Entries of other versions are skipped, but one must be of a version a listed key checks.
      const versions = [...new Set(keys.map((key) => key.version))]
      if (!signatures.some((s) => versions.some((v) => s.startsWith(`${v},`)))) {
        throw malformed(`no ${versions.join(' or ')} signature in its ${prefix}-signature header`)
      }
      const secretIndex = matchingSecret(
        name,
        keys,
        (key) => signedBy(key, signatures, id, t, body),
        `has no ${versions.join(' or ')} signature that matches its body`,
      )
      assertFresh(name, timestamp, clock, toleranceMs)
      return { scheme: name, secretIndex, timestamp, id }
    },
  })
}

/**
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), the format of
 * Svix and the services that send through it. Svix's own `svix-*` names are read when no
 * `webhook-signature` header is present.
 */
export const standardWebhooks = standardWebhooksScheme('standard-webhooks', ['webhook', 'svix'])
