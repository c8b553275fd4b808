import { bearerAllowed } from '../auth.js'
import {
  json,
  jsonBody,
  operationIn,
  type Admission,
  type Profile,
  type ProfileContext,
  type SimRequest,
} from '../http.js'
import { ConcurrencyLimit, WindowCounter } from '../limiters.js'
import { Router, serve } from '../router.js'

export interface GithubProfileOptions {
  /** Primary limit: requests per hour per token. Default 5,000. */
  perHour?: number
  /** Secondary limit: requests in flight at once. Default 100. */
  concurrency?: number
}

const seconds = (ms: number): string => String(Math.ceil(ms / 1_000))

/** GitHub REST: `x-ratelimit-*` over an hourly window, a secondary limit with `retry-after`. */
export function githubProfile(options: GithubProfileOptions, context: ProfileContext): Profile {
  const { clock, random } = context
  const token = `ghp_${random.token(36)}`
  const webhookSecret = random.token(32)
  const primary = new WindowCounter(options.perHour ?? 5_000, 60 * 60 * 1_000, clock)
  const secondary = new ConcurrencyLimit(options.concurrency ?? 100)
  const issues: { id: number; number: number; title: string; state: string; created_at: string }[] =
    []

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(primary.limit),
    'x-ratelimit-remaining': String(primary.remaining),
    'x-ratelimit-used': String(primary.used),
    'x-ratelimit-reset': seconds(primary.resetAt),
    'x-ratelimit-resource': 'core',
  })

  const router = new Router()
    .on('GET', '/user', () => json(200, { login: 'octocat', id: 1 }))
    .on('GET', '/repos/:owner/:repo/issues', (request) => {
      // Newest first, page-numbered, with a Link header as GitHub sends.
      const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page') ?? 30) || 30))
      const page = Math.max(1, Number(request.query.get('page') ?? 1) || 1)
      const all = [...issues].reverse()
      const last = Math.max(1, Math.ceil(all.length / perPage))
      const link = (p: number, rel: string): string => {
        const url = new URL(`http://simulator${request.path}`)
        url.searchParams.set('per_page', String(perPage))
        url.searchParams.set('page', String(p))
        return `<${url.pathname}${url.search}>; rel="${rel}"`
      }
      const links = [
        ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
        ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
      ]
      const body = all.slice((page - 1) * perPage, page * perPage)
      return json(200, body, links.length > 0 ? { link: links.join(', ') } : undefined)
    })
    .on('POST', '/repos/:owner/:repo/issues', (request) => {
      const input = jsonBody(request)
      if (typeof input?.title !== 'string' || input.title === '') {
        return json(422, {
          message: 'Validation Failed',
          errors: [{ field: 'title', code: 'missing_field' }],
        })
      }
      const issue = {
        id: 1_000 + issues.length,
        number: issues.length + 1,
        title: input.title,
        state: 'open',
        created_at: new Date(clock.now()).toISOString(),
      }
      issues.push(issue)
      return { status: 201, body: issue, effect: operationIn(input) }
    })

  function admit(request: SimRequest): Admission {
    if (!bearerAllowed(request, token, context.oauth)) {
      return { refused: json(401, { message: 'Bad credentials', status: '401' }) }
    }
    const release = secondary.acquire()
    if (!release) {
      return {
        refused: json(
          403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
          { 'retry-after': '60', ...rateHeaders() },
        ),
      }
    }
    if (!primary.take()) {
      release()
      return {
        refused: json(403, { message: 'API rate limit exceeded for user ID 1.' }, rateHeaders()),
      }
    }
    return { release, headers: rateHeaders() }
  }

  return {
    name: 'github',
    credentials: { token, webhookSecret },
    match: (method, path) => router.match(method, path),
    admit,
    handle: serve(router, json(404, { message: 'Not Found' })),
  }
}
