import { SeamlineError, type ErrorCode } from '../../errors/index.js'
import type { WebhookSchemeName } from '../webhook-scheme.js'

type RejectionCode = Exclude<ErrorCode, 'SEAM_ERR_INVALID_ARGUMENT'>

/**
 * A webhook refused by `verify`. Reasons come from a fixed vocabulary and never quote a header
 * value: a header may carry a valid signature, and a secret never reaches this far.
 */
export function rejection(
  scheme: WebhookSchemeName,
  code: RejectionCode,
  reason: string,
): SeamlineError {
  return new SeamlineError(code, { operation: 'verify', target: `${scheme} webhook`, reason })
}

/** A caller's mistake (bad options), not a bad webhook: `sign stripe webhook secret must be …`. */
export function invalidArgument(
  operation: 'sign' | 'verify',
  scheme: WebhookSchemeName,
  parameter: string,
  reason: string,
): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation,
    target: `${scheme} webhook ${parameter}`,
    reason,
  })
}

/** `(tried 1 secret)`, `(tried 2 secrets)`: enough to spot a rotation gone wrong. */
export const triedSecrets = (count: number): string =>
  `(tried ${count} ${count === 1 ? 'secret' : 'secrets'})`
