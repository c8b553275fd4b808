import { SeamlineError, isSeamlineError, type ErrorCode } from '../errors/index.js'
import { isSecretKindName, modeOf, recognise, secretKinds, type SecretKind } from './kinds.js'
import type { SecretKindName } from './kinds.js'
import {
  environmentFor,
  resolveProfile,
  type Profile,
  type ProviderEnvironment,
} from './profiles.js'
import { createRedactor, type Redactor } from './redact.js'
import { fromEnv, type CredentialSource, type FoundSecret } from './sources.js'

/** One credential the app needs. The schema's key is the variable name. */
export interface CredentialSpec {
  /** What the value must look like; `secret` (anything) when omitted. */
  kind?: SecretKindName | SecretKind
  /** `true` unless said otherwise. */
  required?: boolean
}

export type CredentialSchema = Readonly<Record<string, CredentialSpec>>

/** The values of a schema: a string for each required credential, maybe undefined otherwise. */
export type Credentials<S extends CredentialSchema> = {
  readonly [K in keyof S]: S[K] extends { required: false } ? string | undefined : string
}

/** `unreadable`: a source failed for it (inspection only; loading throws the source's error). */
export type CredentialProblemType =
  'missing' | 'misplaced' | 'malformed' | 'mismatched' | 'unreadable'

/** Something wrong with one credential, described without its value. */
export interface CredentialProblem {
  variable: string
  problem: CredentialProblemType
  /** Follows the variable name: `is required but not set in environment`. */
  detail: string
}

/** What was found for one credential, without its value. */
export interface CredentialFinding {
  variable: string
  kind: string
  required: boolean
  /** Where the value came from (`STRIPE_SECRET_KEY_FILE`, `.env`…); undefined when unset. */
  origin: string | undefined
  /** The live/test marker the value starts with (`sk_live_`), when its kind has one. */
  marker: string | undefined
  problems: CredentialProblem[]
}

export interface CredentialReport {
  profile: Profile
  environment: ProviderEnvironment
  findings: CredentialFinding[]
  problems: CredentialProblem[]
}

export interface LoadCredentialsOptions<S extends CredentialSchema> {
  schema: S
  /** An explicit profile; else `SEAMLINE_PROFILE`, `NODE_ENV`, then `development`. */
  profile?: Profile
  /** Asked in order, first answer wins; `[fromEnv()]` by default. */
  sources?: readonly CredentialSource[]
  /** Where `SEAMLINE_PROFILE`/`NODE_ENV` are read when `profile` is not given. */
  env?: Readonly<Record<string, string | undefined>>
  /** Receives every loaded value, so logs and errors sharing it mask them. */
  redactor?: Redactor
}

export interface LoadedCredentials<S extends CredentialSchema> {
  profile: Profile
  environment: ProviderEnvironment
  values: Credentials<S>
  /** Where each value came from, by variable; safe to log. */
  origins: Readonly<Partial<Record<keyof S & string, string>>>
  /** Masks the known formats and every value loaded here. */
  redactor: Redactor
}

const codes: Record<CredentialProblemType, ErrorCode> = {
  missing: 'SEAM_ERR_CREDENTIAL_MISSING',
  misplaced: 'SEAM_ERR_CREDENTIAL_MISPLACED',
  malformed: 'SEAM_ERR_CREDENTIAL_MALFORMED',
  mismatched: 'SEAM_ERR_CREDENTIAL_MALFORMED',
  unreadable: 'SEAM_ERR_CREDENTIAL_SOURCE',
}
// A refusal names the most serious problem first: a key for the wrong environment.
const severity: CredentialProblemType[] = [
  'misplaced',
  'unreadable',
  'missing',
  'mismatched',
  'malformed',
]

/** A credential could not be loaded; `problems` lists each one, never a value. */
export class CredentialError extends SeamlineError {
  override readonly name = 'CredentialError'
  readonly problems: readonly CredentialProblem[]

  constructor(problems: readonly CredentialProblem[]) {
    const sorted = [...problems].sort(
      (a, b) => severity.indexOf(a.problem) - severity.indexOf(b.problem),
    )
    const first = sorted[0] as CredentialProblem
    const others = sorted.slice(1).map((p) => `${p.variable} (${p.problem})`)
    super(codes[first.problem], {
      operation: 'load credential',
      target: first.variable,
      reason: first.detail + (others.length > 0 ? `; also wrong: ${others.join(', ')}` : ''),
    })
    this.problems = sorted
  }
}

function kindOf(spec: CredentialSpec): SecretKind {
  const kind = spec.kind ?? 'secret'
  if (typeof kind !== 'string') return kind
  if (isSecretKindName(kind)) return secretKinds[kind]
  throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'load credentials',
    target: 'schema kind',
    reason: `${JSON.stringify(kind)} is not a known secret kind`,
  })
}

function unreadable(variable: string, error: unknown): CredentialProblem {
  if (!isSeamlineError(error) || error.code !== 'SEAM_ERR_CREDENTIAL_SOURCE') throw error
  return { variable, problem: 'unreadable', detail: `cannot be read: ${error.message}` }
}

/** The problems a value has against its kind and the profile's environment. */
export function checkValue(
  variable: string,
  value: string,
  kind: SecretKind,
  profile: Profile,
): CredentialProblem[] {
  const problems: CredentialProblem[] = []
  const environment = environmentFor(profile)
  // Any known marker counts, whatever kind was declared: a live Stripe key is live anywhere.
  const mode = modeOf(value, kind)
  if (mode && mode.environment !== environment) {
    problems.push({
      variable,
      problem: 'misplaced',
      detail:
        mode.environment === 'live'
          ? `is a live key (${mode.marker}) but the profile is ${profile}, which uses sandbox keys`
          : `is a test key (${mode.marker}) but the profile is production, which uses live keys`,
    })
  }
  if (!kind.pattern.test(value)) {
    const others = recognise(value).filter((other) => other.name !== kind.name)
    const first = others[0]
    problems.push(
      first
        ? {
            variable,
            problem: 'mismatched',
            detail: `should be ${kind.description} but looks like ${first.description}`,
          }
        : {
            variable,
            problem: 'malformed',
            detail: `should be ${kind.description} but does not have its format`,
          },
    )
  }
  return problems
}

async function read(
  schema: CredentialSchema,
  profile: Profile,
  sources: readonly CredentialSource[],
  inspecting = false,
): Promise<{ findings: CredentialFinding[]; values: Map<string, string> }> {
  const findings: CredentialFinding[] = []
  const values = new Map<string, string>()
  for (const [variable, spec] of Object.entries(schema)) {
    const kind = kindOf(spec)
    const required = spec.required ?? true
    let found: { value: string; origin: string } | undefined
    const problems: CredentialProblem[] = []
    try {
      for (const source of sources) {
        found = await source.get(variable, { profile })
        if (found) break
      }
    } catch (error) {
      if (!inspecting) throw error
      problems.push(unreadable(variable, error))
    }
    // An unreadable source's problem says it all.
    if (problems.length === 0 && found) {
      values.set(variable, found.value)
      problems.push(...checkValue(variable, found.value, kind, profile))
    } else if (problems.length === 0 && required) {
      problems.push({
        variable,
        problem: 'missing',
        detail: `is required but not set in ${sources.map((s) => s.name).join(', ') || 'any source'}`,
      })
    }
    findings.push({
      variable,
      kind: kind.name,
      required,
      origin: found?.origin,
      marker: found ? modeOf(found.value, kind)?.marker : undefined,
      problems,
    })
  }
  return { findings, values }
}

/**
 * Reads every credential of the schema and reports what is wrong, without throwing for a
 * missing, misplaced or malformed value and without returning any value (`seamline doctor`).
 * A source that cannot be used still throws (`SEAM_ERR_CREDENTIAL_SOURCE`).
 */
export async function inspectCredentials<S extends CredentialSchema>(
  options: Omit<LoadCredentialsOptions<S>, 'redactor'>,
): Promise<CredentialReport> {
  const profile = resolveProfile(options)
  const { findings } = await read(options.schema, profile, options.sources ?? [fromEnv()], true)
  return {
    profile,
    environment: environmentFor(profile),
    findings,
    problems: findings.flatMap((f) => f.problems),
  }
}

/**
 * Loads the credentials the schema declares, from the sources in order, under a profile.
 * Refuses to start (throws `CredentialError`) when a required one is missing, a live key is
 * found under a non-production profile or a test key under production, or a value does not
 * have its kind's format. Every loaded value is registered with the redactor.
 */
export async function loadCredentials<const S extends CredentialSchema>(
  options: LoadCredentialsOptions<S>,
): Promise<LoadedCredentials<S>> {
  const profile = resolveProfile(options)
  const { findings, values } = await read(options.schema, profile, options.sources ?? [fromEnv()])
  const redactor = options.redactor ?? createRedactor()
  for (const value of values.values()) redactor.addSecret(value)
  const problems = findings.flatMap((f) => f.problems)
  if (problems.length > 0) throw new CredentialError(problems)
  const origins: Record<string, string> = {}
  for (const finding of findings) if (finding.origin) origins[finding.variable] = finding.origin
  return {
    profile,
    environment: environmentFor(profile),
    values: Object.freeze(Object.fromEntries(values)) as Credentials<S>,
    origins: origins as LoadedCredentials<S>['origins'],
    redactor,
  }
}

export interface InspectEnvironmentOptions {
  profile?: Profile
  /** The variables to scan; `process.env` by default. `*_FILE` variables are read too. */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * Without a schema: finds every variable whose value is a recognisable key (or names a file
 * holding one, through `*_FILE`) and checks it against the profile's environment. A variable
 * holding nothing recognisable, or a `*_FILE` that cannot be read, is not reported.
 */
export async function inspectEnvironment(
  options: InspectEnvironmentOptions = {},
): Promise<CredentialReport> {
  const env = options.env ?? process.env
  const profile = resolveProfile({ profile: options.profile, env })
  const source = fromEnv(env)
  const findings: CredentialFinding[] = []
  const names = new Set(
    Object.keys(env).map((name) => (name.endsWith('_FILE') ? name.slice(0, -5) : name)),
  )
  for (const variable of [...names].sort()) {
    let found: FoundSecret | undefined
    try {
      found = await source.get(variable, { profile })
    } catch (error) {
      // Not every `*_FILE` names a secret (`TF_CLI_CONFIG_FILE`): one that cannot be read is
      // not a credential problem without a schema saying it should be one.
      unreadable(variable, error)
      continue
    }
    if (!found) continue
    const mode = modeOf(found.value)
    const kind = recognise(found.value)[0]
    if (!mode && !kind) continue
    const declared = kind ?? secretKinds.secret
    findings.push({
      variable,
      kind: declared.name,
      required: false,
      origin: found.origin,
      marker: mode?.marker,
      problems: checkValue(variable, found.value, declared, profile),
    })
  }
  return {
    profile,
    environment: environmentFor(profile),
    findings,
    problems: findings.flatMap((f) => f.problems),
  }
}
