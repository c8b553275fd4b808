import { SeamlineError } from '../errors/index.js'

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
