import { json, type SimRequest, type SimResponse } from '../../http.js'
import { invalidParam } from './errors.js'
import { parseForm, type FormValue } from '../../form.js'
import type { StripeObject } from './store.js'

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
}

/** Applies `created` (exact or gt/gte/lt/lte), then cursor pagination, to newest-first `items`. */
export function listResponse(request: SimRequest, items: StripeObject[]): SimResponse {
  const query = parseForm(request.query.toString())
  const limitText = typeof query.limit === 'string' ? query.limit : '10'
  const limit = Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return invalidParam('limit', `Invalid integer: ${limitText}; must be between 1 and 100.`)
  }
  const created: FormValue | undefined = query.created
  let selected = items
  if (typeof created === 'string') selected = selected.filter((o) => o.created === Number(created))
  else if (created && !Array.isArray(created)) {
    for (const [op, value] of Object.entries(created)) {
      const compare = comparisons[op]
      if (!compare || typeof value !== 'string' || !/^\d+$/.test(value)) {
        return invalidParam(`created[${op}]`, `Invalid created filter: created[${op}]`)
      }
      selected = selected.filter((o) => compare(o.created, Number(value)))
    }
  }
  const after = typeof query.starting_after === 'string' ? query.starting_after : undefined
  const before = typeof query.ending_before === 'string' ? query.ending_before : undefined
  let page: StripeObject[]
  let hasMore: boolean
  if (before !== undefined) {
    const end = selected.findIndex((o) => o.id === before)
    if (end < 0) return invalidParam('ending_before', `No such object: '${before}'`)
    page = selected.slice(Math.max(0, end - limit), end)
    hasMore = end - limit > 0
  } else {
    const start = after === undefined ? 0 : selected.findIndex((o) => o.id === after) + 1
    if (after !== undefined && start === 0) {
      return invalidParam('starting_after', `No such object: '${after}'`)
    }
    page = selected.slice(start, start + limit)
    hasMore = start + limit < selected.length
  }
  return json(200, { object: 'list', url: request.path, has_more: hasMore, data: page })
}
