import {
  fromDotenv,
  fromEnv,
  inspectCredentials,
  inspectEnvironment,
  isSecretKindName,
  resolveProfile,
  type CredentialFinding,
  type CredentialSchema,
  type CredentialSpec,
  type Profile,
  type ProviderEnvironment,
} from '../credentials/index.js'
import { SeamlineError, isSeamlineError } from '../errors/index.js'

export interface DoctorCheck {
  name: string
  ok: boolean
  detail: string
}

/** Parses `>=20.18`-style ranges, the only form `engines.node` uses here. */
function minimumVersion(range: string): [number, number] {
  const match = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range)
  if (!match) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'doctor',
      target: 'engines.node',
      reason: `is not a ">=major.minor" range (got ${JSON.stringify(range)})`,
    })
  }
  return [Number(match[1]), Number(match[2] ?? 0)]
}

/** Checks that this runtime can run Seamline. */
export function checkRuntime(nodeVersion: string, enginesNode: string): DoctorCheck {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number)
  const [needMajor, needMinor] = minimumVersion(enginesNode)
  const ok = major > needMajor || (major === needMajor && minor >= needMinor)
  return {
    name: 'node',
    ok,
    detail: ok
      ? `Node.js ${nodeVersion} satisfies ${enginesNode}`
      : `Node.js ${nodeVersion} is too old; Seamline needs ${enginesNode}`,
  }
}

export interface CredentialChecksOptions {
  /** Under which profile to judge; else `SEAMLINE_PROFILE`, `NODE_ENV`, then `development`. */
  profile?: Profile
  /** A JSON schema file: `{ "STRIPE_SECRET_KEY": { "kind": "stripe-secret-key" } }`. */
  schema?: CredentialSchema
  /** A `.env` file to read after the environment (refused under production). */
  envFile?: string
  env?: Readonly<Record<string, string | undefined>>
}

export interface CredentialChecks {
  /** Undefined when the profile itself cannot be read (`NODE_ENV=prod`). */
  profile: Profile | undefined
  environment: ProviderEnvironment | undefined
  checks: DoctorCheck[]
}

/** Reads a credentials schema file, refusing anything but `{ NAME: { kind?, required? } }`. */
export function parseCredentialSchema(text: string, file: string): CredentialSchema {
  const invalid = (reason: string): SeamlineError =>
    new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'doctor', target: file, reason })
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw invalid(`is not JSON (${(error as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('is not an object of credentials by variable name')
  }
  const schema: Record<string, CredentialSpec> = {}
  for (const [name, spec] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof spec !== 'object' || spec === null) throw invalid(`has no object for ${name}`)
    const { kind, required } = spec as { kind?: unknown; required?: unknown }
    if (kind !== undefined && !isSecretKindName(kind)) {
      throw invalid(`gives ${name} the unknown kind ${JSON.stringify(kind)}`)
    }
    if (required !== undefined && typeof required !== 'boolean') {
      throw invalid(`gives ${name} a "required" that is not true or false`)
    }
    schema[name] = {
      ...(kind === undefined ? {} : { kind }),
      ...(required === undefined ? {} : { required }),
    }
  }
  return schema
}

function checkOf(finding: CredentialFinding, environment: ProviderEnvironment): DoctorCheck {
  const name = `credential ${finding.variable}`
  if (finding.problems.length > 0) {
    return {
      name,
      ok: false,
      detail: finding.problems.map((p) => `${p.problem}: ${p.variable} ${p.detail}`).join('; '),
    }
  }
  if (finding.origin === undefined) return { name, ok: true, detail: 'optional, not set' }
  const mode = finding.marker ? `, ${finding.marker} for ${environment}` : ''
  return { name, ok: true, detail: `${finding.kind} from ${finding.origin}${mode}` }
}

/**
 * Checks credentials without printing them: with a schema, every declared one (missing,
 * misplaced, malformed, mismatched); without one, every variable holding a recognisable key
 * (misplaced only).
 */
export async function checkCredentials(
  options: CredentialChecksOptions = {},
): Promise<CredentialChecks> {
  const env = options.env ?? process.env
  let profile: Profile
  try {
    profile = resolveProfile({ profile: options.profile, env })
  } catch (error) {
    if (!isSeamlineError(error)) throw error
    const check = { name: 'profile', ok: false, detail: error.message }
    return { profile: undefined, environment: undefined, checks: [check] }
  }
  const report = options.schema
    ? await inspectCredentials({
        schema: options.schema,
        env,
        profile,
        sources: [
          fromEnv(env),
          ...(options.envFile ? [fromDotenv({ path: options.envFile })] : []),
        ],
      })
    : await inspectEnvironment({ env, profile })
  const checks = report.findings.map((finding) => checkOf(finding, report.environment))
  if (checks.length === 0) {
    checks.push({
      name: 'credentials',
      ok: true,
      detail: options.schema
        ? 'the schema declares none'
        : 'no schema given and no recognisable key in the environment',
    })
  }
  return { profile: report.profile, environment: report.environment, checks }
}
