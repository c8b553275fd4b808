import { rejection, triedSecrets } from './failure.js'
import type { WebhookSchemeName } from '../webhook-scheme.js'

/**
 * The index in `options.secrets` of the first key that `matches`, so a caller can see which
 * secret a rotation is still using. Throws the scheme's "invalid" rejection when none does.
 */
export function matchingSecret<Key>(
  scheme: WebhookSchemeName,
  keys: readonly Key[],
  matches: (key: Key) => boolean,
  what = 'has no signature that matches its body',
): number {
  const index = keys.findIndex(matches)
  if (index >= 0) return index
  throw rejection(
    scheme,
    'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    `${what} ${triedSecrets(keys.length)}`,
  )
}
