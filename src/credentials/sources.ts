import { readFile } from 'node:fs/promises'
import { SeamlineError } from '../errors/index.js'
import type { Profile } from './profiles.js'

/** What a source found for one variable, and where (never the value itself in `origin`). */
export interface FoundSecret {
  value: string
  /** Where it came from, safe to print: `STRIPE_SECRET_KEY`, `STRIPE_SECRET_KEY_FILE`, `.env`… */
  origin: string
}

export interface SourceContext {
  readonly profile: Profile
}

/** Somewhere secrets are read from. Sources are asked in order; the first answer wins. */
export interface CredentialSource {
  /** Safe to print: `environment`, `.env`, `secret manager`. */
  readonly name: string
  get(variable: string, context: SourceContext): Promise<FoundSecret | undefined>
}

/** Reads a secret by name from a secret manager (Vault, AWS, GCP, 1Password, Doppler…). */
export type SecretManagerHook = (name: string) => Promise<string | undefined>

function sourceError(target: string, reason: string, cause?: unknown): SeamlineError {
  return new SeamlineError('SEAM_ERR_CREDENTIAL_SOURCE', {
    operation: 'load credential',
    target,
    reason,
    ...(cause === undefined ? {} : { cause }),
  })
}

/** An empty value counts as unset: container tooling often declares variables it leaves blank. */
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== ''
}

/** Removes one trailing newline (`\n` or `\r\n`), the one editors and `echo` add to a file. */
export function trimOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2)
  if (text.endsWith('\n')) return text.slice(0, -1)
  return text
}

/**
 * Environment variables, with the `*_FILE` convention of container secrets:
 * `STRIPE_SECRET_KEY_FILE=/run/secrets/stripe` reads the file and trims one trailing newline.
 * Setting both the variable and its `_FILE` is refused, as the official container images do.
 */
export function fromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): CredentialSource {
  return {
    name: 'environment',
    async get(variable) {
      const direct = env[variable]
      const file = env[`${variable}_FILE`]
      if (present(direct) && present(file)) {
        throw sourceError(variable, `and ${variable}_FILE are both set; set only one of them`)
      }
      if (present(direct)) return { value: direct, origin: variable }
      if (!present(file)) return undefined
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        const code = (error as { code?: unknown }).code
        throw sourceError(
          `${variable}_FILE`,
          `names a file that cannot be read (${typeof code === 'string' ? code : 'error'})`,
          error,
        )
      }
      const value = trimOneNewline(text)
      return present(value) ? { value, origin: `${variable}_FILE` } : undefined
    },
  }
}

/** A value already in memory (tests, or secrets an app resolved itself). */
export function fromValues(
  values: Readonly<Record<string, string | undefined>>,
  name = 'values',
): CredentialSource {
  return {
    name,
    get(variable) {
      const value = values[variable]
      return Promise.resolve(present(value) ? { value, origin: name } : undefined)
    },
  }
}

/**
 * A secret manager: `hook(name)` resolves to the secret or `undefined` when it holds none.
 * A hook that throws stops the load with `SEAM_ERR_CREDENTIAL_SOURCE` (its error as `cause`).
 */
export function fromSecretManager(
  hook: SecretManagerHook,
  name = 'secret manager',
): CredentialSource {
  return {
    name,
    async get(variable) {
      let value: string | undefined
      try {
        value = await hook(variable)
      } catch (error) {
        throw sourceError(variable, `could not be read from the ${name}`, error)
      }
      return present(value) ? { value, origin: name } : undefined
    },
  }
}

export interface DotenvOptions {
  /** The file to read; `.env` in the working directory by default. */
  path?: string
}

/**
 * A `.env` file, for development: read once, never written into `process.env`. Under the
 * production profile an existing file is refused with `SEAM_ERR_CREDENTIAL_SOURCE` (production
 * secrets come from the environment, files mounted by the platform, or a secret manager); a
 * missing file contributes nothing under any profile.
 */
export function fromDotenv(options: DotenvOptions = {}): CredentialSource {
  const path = options.path ?? '.env'
  let parsed: Promise<Map<string, string> | undefined> | undefined
  const load = async (): Promise<Map<string, string> | undefined> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined
      throw sourceError(path, 'cannot be read', error)
    }
    return parseDotenv(text)
  }
  return {
    name: path,
    async get(variable, context) {
      parsed ??= load()
      const entries = await parsed
      if (entries === undefined) return undefined
      if (context.profile === 'production') {
        throw sourceError(
          path,
          'is a development-only source and the profile is production; set the variables in the environment, a *_FILE or a secret manager instead',
        )
      }
      const value = entries.get(variable)
      return present(value) ? { value, origin: path } : undefined
    },
  }
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }

/**
 * Parses `.env` text: `KEY=value`, `export KEY=value`, `#` comments (after a blank in unquoted
 * values), single quotes (literal), double quotes (`\n`, `\t`, `\"`, `\\` escapes) and quoted
 * values over several lines (PEM keys). A later line for the same key wins.
 */
export function parseDotenv(text: string): Map<string, string> {
  const entries = new Map<string, string>()
  const line =
    /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*("(?:\\[\s\S]|[^"\\])*"|'[^']*'|`[^`]*`|[^\r\n]*)[^\r\n]*$/gm
  for (const match of text.replace(/^\uFEFF/, '').matchAll(line)) {
    const key = match[1] as string
    const raw = match[2] as string
    let value: string
    if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
      value = raw.slice(1, -1).replace(/\\([\s\S])/g, (all, c: string) => escapes[c] ?? all)
    } else if (/^(['`])[\s\S]*\1$/.test(raw) && raw.length >= 2) {
      value = raw.slice(1, -1)
    } else {
      value = raw.replace(/(?:^|[ \t]+)#.*$/, '').trim()
    }
    entries.set(key, value)
  }
  return entries
}
