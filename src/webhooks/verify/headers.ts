import { rejection } from './failure.js'
import type { WebhookHeaders, WebhookSchemeName } from '../webhook-scheme.js'

/**
 * Every non-empty value sent under `name`, matched case-insensitively. A `Headers` object has
 * already combined repeats into one value; a plain object may hold an array, or the same name
 * in two spellings, and each of those counts as a separate value.
 */
export function headerValues(headers: WebhookHeaders, name: string): string[] {
  if (isHeaders(headers)) {
    const value = headers.get(name)
    return value ? [value] : []
  }
  const wanted = name.toLowerCase()
  const values: string[] = []
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue
    // Anything but strings (a JavaScript caller may pass numbers or null) counts as absent.
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item === 'string' && item !== '') values.push(item)
    }
  }
  return values
}

// Duck-typed, so a `Headers` from another copy of undici (or another realm) is recognised too.
export function isHeaders(headers: WebhookHeaders): headers is Headers {
  return typeof (headers as { get?: unknown }).get === 'function'
}

/** The one value of a header that must be sent exactly once: missing or repeated is refused. */
export function singleHeader(
  scheme: WebhookSchemeName,
  headers: WebhookHeaders,
  name: string,
): string {
  const values = headerValues(headers, name)
  const [value] = values
  if (value === undefined) {
    throw rejection(scheme, 'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING', `has no ${name} header`)
  }
  if (values.length > 1) {
    throw rejection(
      scheme,
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
      `has more than one ${name} header`,
    )
  }
  return value
}
