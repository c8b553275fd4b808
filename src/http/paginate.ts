import { SeamlineError } from '../errors/index.js'
import type { CallOptions, Client, HttpResponse } from './client.js'

/** Where the next page is: the next path and query to ask for, or undefined at the end. */
export interface PageRule<T> {
  items(response: HttpResponse): readonly T[]
  next(
    response: HttpResponse,
    path: string,
    query: Record<string, string>,
  ): { path: string; query: Record<string, string> } | undefined
}

/** Stripe's lists: `data`, `has_more`, and `starting_after` the last id. */
export function cursorPages<T extends { id: string }>(): PageRule<T> {
  return {
    items: (response) => (response.body as { data?: T[] }).data ?? [],
    next(response, path, query) {
      const body = response.body as { data?: T[]; has_more?: boolean }
      const last = body.data?.at(-1)
      return body.has_more && last
        ? { path, query: { ...query, starting_after: last.id } }
        : undefined
    },
  }
}

// RFC 8288: `<https://api.github.com/…?page=2>; rel="next", <…>; rel="last"`.
function nextLink(header: string | undefined): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim())
    if (match && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2] ?? '')) return match[1]
  }
  return undefined
}

/** Pages linked by a `Link: <…>; rel="next"` header (GitHub and many others); the body is the array. */
export function linkPages<T>(): PageRule<T> {
  return {
    items: (response) => (Array.isArray(response.body) ? (response.body as T[]) : []),
    next(response) {
      const link = nextLink(response.headers.link)
      if (!link) return undefined
      // The link may be absolute or relative; the client resolves it against its base URL.
      const url = new URL(link, 'http://base.invalid')
      const path =
        url.origin === 'http://base.invalid' ? url.pathname : `${url.origin}${url.pathname}`
      return { path, query: Object.fromEntries(url.searchParams) }
    },
  }
}

export interface PaginateOptions<T> extends Omit<
  CallOptions,
  'query' | 'json' | 'form' | 'body' | 'stream'
> {
  query?: Record<string, string>
  /** Default: Stripe-style cursors. */
  pages?: PageRule<T>
  /** Stop after this many pages (a guard against a provider that never says it is done). Default 10,000. */
  maxPages?: number
}

/**
 * Every item of a paginated list, fetched a page at a time as the loop asks for them. Each page
 * is one call with the client's retries, limits and deadline; breaking out of the loop stops.
 */
export async function* paginate<T = unknown>(
  client: Client,
  path: string,
  options: PaginateOptions<T> = {},
): AsyncGenerator<T> {
  const {
    pages = cursorPages() as unknown as PageRule<T>,
    maxPages = 10_000,
    query = {},
    ...call
  } = options
  let next: { path: string; query: Record<string, string> } | undefined = { path, query }
  for (let page = 0; next; page++) {
    if (page >= maxPages) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'paginate',
        target: path,
        reason: `went past maxPages (${maxPages}) without reaching the end`,
      })
    }
    const response = await client.get(next.path, { ...call, query: next.query })
    yield* pages.items(response)
    next = pages.next(response, next.path, next.query)
  }
}
