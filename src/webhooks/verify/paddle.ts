import { timestampedListScheme } from './timestamped-list.js'

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<body>">`,
 * keyed with the notification destination's secret key (`pdl_ntfset_…`) as text. Paddle may
 * send several `h1` entries while a secret is rotated; any one of them may match.
 */
export const paddle = timestampedListScheme({
  name: 'paddle',
  header: 'Paddle-Signature',
  separator: ';',
  timestampKey: 'ts',
  signatureKey: 'h1',
  joiner: ':',
})
