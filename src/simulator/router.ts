import type { Handler, Profile, SimResponse } from './http.js'

interface Route {
  method: string
  pattern: string
  segments: string[]
  handler: Handler
}

function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined // a malformed %-escape matches no route
  }
}

/** A tiny method + path router: `'/v1/customers/:id'` binds `id`. */
export class Router {
  #routes: Route[] = []

  on(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method, pattern, segments: pattern.split('/'), handler })
    return this
  }

  match(
    method: string,
    path: string,
  ): { route: string; params: Record<string, string>; handler: Handler } | undefined {
    const parts = path.split('/')
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue
      const params: Record<string, string> = {}
      const ok = route.segments.every((segment, i) => {
        const part = parts[i] as string
        if (segment.startsWith(':')) {
          if (part === '') return false
          const value = decodePart(part)
          if (value === undefined) return false
          params[segment.slice(1)] = value
          return true
        }
        return segment === part
      })
      if (ok) return { route: `${method} ${route.pattern}`, params, handler: route.handler }
    }
    return undefined
  }
}

/** A profile's `handle` for routes that need no more than their processing time first. */
export function serve(router: Router, notFound: SimResponse): Profile['handle'] {
  return async (request, _route, processing) => {
    await processing()
    const run = router.match(request.method, request.path)?.handler
    return run ? run(request) : notFound
  }
}
