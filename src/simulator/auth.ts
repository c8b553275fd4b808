import type { SimRequest } from './http.js'
import type { OAuthServer } from './oauth.js'

/** The token of an `Authorization: Bearer …` (or GitHub's `token …`) header. */
export function bearerToken(request: SimRequest): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(request.header('authorization') ?? '')
  return match?.[1]
}

/** True when the bearer token is the profile's static key or a live OAuth access token. */
export function bearerAllowed(
  request: SimRequest,
  key: string | undefined,
  oauth: OAuthServer,
): boolean {
  const token = bearerToken(request)
  return (key !== undefined && token === key) || oauth.check(token) === 'valid'
}
