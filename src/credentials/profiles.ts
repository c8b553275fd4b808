import { SeamlineError } from '../errors/index.js'

/** The environment profiles an app runs under, from a laptop to production. */
export const profiles = ['development', 'test', 'staging', 'production'] as const
export type Profile = (typeof profiles)[number]

/** The provider environment a profile talks to: test keys and sandboxes, or live keys. */
export type ProviderEnvironment = 'sandbox' | 'live'

export interface ResolveProfileOptions {
  /** Wins over the environment when given. */
  profile?: string | undefined
  /** Where `SEAMLINE_PROFILE` and `NODE_ENV` are read; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>
}

export function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && (profiles as readonly string[]).includes(value)
}

/**
 * The profile to run under: the `profile` option, else `SEAMLINE_PROFILE`, else `NODE_ENV`,
 * else `development`. A value that names no profile is refused rather than guessed (a
 * `NODE_ENV=prod` read as development would let development-only sources into production).
 */
export function resolveProfile(options: ResolveProfileOptions = {}): Profile {
  const env = options.env ?? process.env
  const candidates: [string, string | undefined][] = [
    ['profile', options.profile],
    ['SEAMLINE_PROFILE', env['SEAMLINE_PROFILE']],
    ['NODE_ENV', env['NODE_ENV']],
  ]
  for (const [source, value] of candidates) {
    if (value === undefined || value.trim() === '') continue
    const name = value.trim()
    if (isProfile(name)) return name
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'resolve profile',
      target: source,
      reason: `is ${JSON.stringify(name)}, which is not one of ${profiles.join(', ')}`,
    })
  }
  return 'development'
}

/** Production talks to live provider environments; every other profile to sandboxes. */
export function environmentFor(profile: Profile): ProviderEnvironment {
  return profile === 'production' ? 'live' : 'sandbox'
}
