import { SeamlineError } from '../errors/index.js'

/** The value of the variable a configuration key names; refused, naming the key, when unset. */
export function resolveSecret(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  key: string,
): string {
  const value = env[name]
  if (value === undefined || value === '') {
    throw new SeamlineError('SEAM_ERR_CREDENTIAL_MISSING', {
      operation: 'createGateway',
      target: key,
      reason: `names the environment variable ${name}, which is not set`,
    })
  }
  return value
}
