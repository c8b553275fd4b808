import { createHash } from 'node:crypto'
import type { ConnectionRecord } from '../stores/index.js'
import type { TokenPolicy } from './policies.js'

/**
 * When a connection's access token should be refreshed: `margin` (at most a quarter of the
 * token's lifetime) before expiry, and up to `jitter` (at most a tenth of it) earlier again.
 * The jitter comes from a hash of the connection and its expiry, not from a random draw, so every
 * process agrees on the moment while thousands of connections still spread out.
 */
export function refreshAtOf(
  row: Pick<ConnectionRecord, 'provider' | 'connectionId' | 'expiresAt' | 'refreshedAt'>,
  policy: Pick<TokenPolicy, 'refreshMarginMs' | 'refreshJitterMs' | 'accessTokenTtlMs'>,
): number | null {
  if (row.expiresAt === null) return null
  const lifetime =
    row.refreshedAt !== null && row.refreshedAt < row.expiresAt
      ? row.expiresAt - row.refreshedAt
      : policy.accessTokenTtlMs
  const margin = Math.min(policy.refreshMarginMs, lifetime / 4)
  const jitter = Math.min(policy.refreshJitterMs, lifetime / 10)
  const digest = createHash('sha256')
    .update(`${row.provider}\0${row.connectionId}\0${row.expiresAt}`)
    .digest()
  const fraction = digest.readUInt32BE(0) / 2 ** 32
  return Math.floor(row.expiresAt - margin - fraction * jitter)
}

/** A short fingerprint of a secret for logs and events: the last 6 hex digits of its SHA-256. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(-6)
}
