import type { SimRequest } from './http.js'

/** The token of an `Authorization: Bearer …` (or GitHub's `token …`) header. */
export function bearerToken(request: SimRequest): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(request.header('authorization') ?? '')
  return match?.[1]
}
