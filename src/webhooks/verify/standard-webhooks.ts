import { invalidArgument, rejection } from './failure.js'
import { headerValues } from './headers.js'
import { equalsAny, hmacSha256 } from './hmac.js'
import { matchingSecret } from './match.js'
import { signInputs, verifyInputs, type KeyFormat } from './options.js'
import { assertFresh, parseUnixSeconds, signingSeconds } from './timestamp.js'
import type { WebhookHeaders, WebhookScheme } from '../webhook-scheme.js'

const secretPrefix = 'whsec_'
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** `whsec_<base64>` (or the bare base64): the key is the decoded bytes, not the text. */
const base64Key: KeyFormat = {
  decode(secret) {
    const text = secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret
    if (!base64Pattern.test(text)) return undefined
    const key = Buffer.from(text, 'base64')
    return key.length > 0 ? key : undefined
  },
  expected: `non-empty base64, optionally prefixed ${secretPrefix}`,
}

// `a.b.c` could split as id `a`, timestamp `b` or id `a.b`, timestamp `c`: with a dot allowed
// in the id, a signature could be re-read with another timestamp and body. The spec forbids it.
const idPattern = /^[^.]+$/
// What `sign` will put in a header: visible ASCII, no dot.
const signableIdPattern = /^[\x21-\x2d\x2f-\x7e]+$/

const signature = (key: Buffer, id: string, t: string, body: Uint8Array): string =>
  hmacSha256(key, `${id}.${t}.`, body).toString('base64')

/**
 * Standard Webhooks v1 (Svix-compatible): `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256 of "<id>.<t>.<body>">`). Svix's
 * own `svix-id`/`svix-timestamp`/`svix-signature` names are read when no `webhook-signature`
 * header is present.
 */
export const standardWebhooks = Object.freeze<WebhookScheme>({
  name: 'standard-webhooks',

  sign(options) {
    const { body, key, clock } = signInputs('standard-webhooks', options, base64Key)
    const { id } = options
    if (typeof id !== 'string' || !signableIdPattern.test(id)) {
      throw invalidArgument(
        'sign',
        'standard-webhooks',
        'id',
        id === undefined
          ? 'is required: it becomes the webhook-id header'
          : 'must be a non-empty string of visible ASCII characters without "."',
      )
    }
    const t = String(signingSeconds('standard-webhooks', clock))
    return {
      'webhook-id': id,
      'webhook-timestamp': t,
      'webhook-signature': `v1,${signature(key, id, t, body)}`,
    }
  },

  verify(headers, rawBody, options) {
    const { body, keys, clock, toleranceMs } = verifyInputs(
      'standard-webhooks',
      headers,
      rawBody,
      options,
      base64Key,
    )
    const { prefix, id, t, signatures } = read(headers)
    if (!idPattern.test(id)) throw malformed(`a ${prefix}-id header that contains "."`)
    const timestamp = parseUnixSeconds(t)
    if (timestamp === undefined) {
      throw malformed(`a ${prefix}-timestamp header that is not unix seconds`)
    }
    // Other versions (`v1a` for Ed25519) are skipped; at least one v1 must be present.
    const v1 = signatures.filter((s) => s.startsWith('v1,')).map((s) => s.slice(3))
    if (v1.length === 0) throw malformed(`no v1 signature in its ${prefix}-signature header`)
    const secretIndex = matchingSecret(
      'standard-webhooks',
      keys,
      (key) => equalsAny(v1, signature(key, id, t, body)),
      'has no v1 signature that matches its body',
    )
    assertFresh('standard-webhooks', timestamp, clock, toleranceMs)
    return { scheme: 'standard-webhooks', secretIndex, timestamp, id }
  },
})

interface SignedHeaders {
  prefix: 'webhook' | 'svix'
  id: string
  t: string
  signatures: string[]
}

function read(headers: WebhookHeaders): SignedHeaders {
  const svix =
    headerValues(headers, 'webhook-signature').length === 0 &&
    headerValues(headers, 'svix-signature').length > 0
  const prefix = svix ? 'svix' : 'webhook'
  const ids = headerValues(headers, `${prefix}-id`)
  const ts = headerValues(headers, `${prefix}-timestamp`)
  const sigs = headerValues(headers, `${prefix}-signature`)
  const missing = [
    ids.length === 0 && `${prefix}-id`,
    ts.length === 0 && `${prefix}-timestamp`,
    sigs.length === 0 && `${prefix}-signature`,
  ].filter((name) => name !== false)
  if (missing.length > 0) {
    throw rejection(
      'standard-webhooks',
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
      `has ${missing.map((name) => `no ${name} header`).join(', ')}`,
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

const malformed = (what: string) =>
  rejection('standard-webhooks', 'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED', `has ${what}`)
