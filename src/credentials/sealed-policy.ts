import { SeamlineError } from '../errors/index.js'
import type { Keyring } from './keyring.js'
import { isProfile, profiles, type Profile } from './profiles.js'
import {
  markPlaintext,
  open,
  openBytes,
  reseal,
  seal,
  sealedKeyId,
  type OpenOptions,
  type Sealed,
} from './sealed.js'

export interface SealerOptions {
  /** The profile the process runs under (see `resolveProfile`). */
  profile: Profile
  /** The keys to seal with; required under `production`. See `keyringFromEnv`. */
  keyring?: Keyring | undefined
  /**
   * Local development only: with no keyring, store values marked as plaintext (`plain.<data>`)
   * instead of refusing to start. Refused under `production`; ignored when a keyring is given.
   */
  dangerouslyAllowPlaintext?: boolean
  /** Whether `plain.` values open (true by default, so development data can be migrated). */
  acceptPlaintext?: boolean
}

/** Seals and opens stored secrets under the process's encryption policy. */
export interface Sealer {
  /** `encrypted` with a keyring; `plaintext` only in development without one. */
  readonly mode: 'encrypted' | 'plaintext'
  /** Seals a value for the row `aad` names (`table:column:rowId`). */
  seal(plaintext: string | Uint8Array, aad: string): Sealed
  /** Opens a value to text. */
  open(sealed: Sealed, aad: string): string
  /** Opens a value to bytes. */
  openBytes(sealed: Sealed, aad: string): Uint8Array
  /**
   * Re-encrypts a value under the newest key (a plaintext value included); returns it unchanged
   * when it is already there. Without a keyring it returns the value unchanged after checking it.
   */
  reseal(sealed: Sealed, aad: string): Sealed
  /** Whether `reseal` would change the value (older key or plaintext, with a keyring). */
  needsReseal(sealed: Sealed, aad: string): boolean
}

function required(profile: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_ENCRYPTION_REQUIRED', {
    operation: 'start',
    target: `the ${profile} profile`,
    reason,
  })
}

let warned = false

function warnPlaintextOnce(profile: string): void {
  if (warned) return
  warned = true
  process.emitWarning(
    `Secrets are stored in plaintext (dangerouslyAllowPlaintext, profile ${profile}); ` +
      'set SEAMLINE_ENCRYPTION_KEYS before storing anything real.',
    { code: 'SEAMLINE_PLAINTEXT_SECRETS' },
  )
}

/**
 * The encryption policy at startup. Under `production` a keyring is required and
 * `dangerouslyAllowPlaintext` is refused (`SEAM_ERR_ENCRYPTION_REQUIRED`): the process refuses
 * to start rather than store secrets in clear. Elsewhere a missing keyring is refused too, unless
 * `dangerouslyAllowPlaintext` is set, which stores values marked `plain.` and warns once.
 */
export function createSealer(options: SealerOptions): Sealer {
  const { profile, keyring } = options
  if (!isProfile(profile)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'createSealer',
      target: 'profile',
      reason: `must be one of ${profiles.join(', ')}`,
    })
  }
  const production = profile === 'production'
  if (production && options.dangerouslyAllowPlaintext === true) {
    throw required(profile, 'refused: dangerouslyAllowPlaintext is for local development only')
  }
  if (keyring === undefined) {
    if (production) {
      throw required(profile, 'refused: no encryption key is configured (SEAMLINE_ENCRYPTION_KEYS)')
    }
    if (options.dangerouslyAllowPlaintext !== true) {
      throw required(
        profile,
        'refused: no encryption key is configured; set SEAMLINE_ENCRYPTION_KEYS, or ' +
          'dangerouslyAllowPlaintext for local development',
      )
    }
    warnPlaintextOnce(profile)
    return plaintextSealer()
  }
  const acceptPlaintext = options.acceptPlaintext ?? true
  const with_ = (aad: string): OpenOptions => ({ keyring, aad, acceptPlaintext })
  return {
    mode: 'encrypted',
    seal: (plaintext, aad) => seal(plaintext, { keyring, aad }),
    open: (sealed, aad) => open(sealed, with_(aad)),
    openBytes: (sealed, aad) => openBytes(sealed, with_(aad)),
    reseal: (sealed, aad) => reseal(sealed, with_(aad)),
    needsReseal: (sealed, aad) => {
      const keyId = sealedKeyId(sealed, aad)
      return keyId !== keyring.currentKeyId
    },
  }
}

// Without a keyring only `plain.` values open; an encrypted value names a key this process lacks.
function plaintextSealer(): Sealer {
  const emptyRing: Keyring = Object.freeze({
    currentKeyId: '',
    keyIds: Object.freeze([]),
    has: () => false,
  })
  const with_ = (aad: string): OpenOptions => ({ keyring: emptyRing, aad })
  return {
    mode: 'plaintext',
    seal: (plaintext, aad) => {
      if (typeof aad !== 'string' || aad === '') {
        throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
          operation: 'seal',
          target: 'aad',
          reason: 'must be a non-empty string naming the row, e.g. `table:column:rowId`',
        })
      }
      return markPlaintext(plaintext)
    },
    open: (sealed, aad) => open(sealed, with_(aad)),
    openBytes: (sealed, aad) => openBytes(sealed, with_(aad)),
    reseal: (sealed, aad) => {
      openBytes(sealed, with_(aad))
      return sealed
    },
    needsReseal: (sealed, aad) => {
      sealedKeyId(sealed, aad)
      return false
    },
  }
}
