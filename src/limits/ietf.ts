// The IETF httpapi rate-limit header fields, in the three shapes their drafts have taken.
import { capReset, capWindow, parseCount, type HeaderContext } from './header-values.js'
import type { ObservedWindow } from './observe.js'
import { parseDictionary, parseList, type Item, type Member } from './structured-fields.js'

/**
 * draft-ietf-httpapi-ratelimit-headers-08 to -11: two Structured Field Lists of String items
 * named after the server's policies.
 *
 *     RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;qu="requests";w=86400
 *     RateLimit: "burst";r=50;t=30
 *
 * `q` is the quota (limit), `w` the window in seconds, `qu` the unit, `r` the units available
 * now. `t` changed meaning between drafts: in -08 it was the seconds until the quota resets; in
 * -11 it is the "effective window", the seconds within which the client may use no more than `r`,
 * and the client must not assume the quota is fully restored after it. Either way no more units
 * are promised before it, so it becomes `resetMs`. A field that breaks the
 * grammar or the draft's rules (an item that is not a String, a missing or non-Integer `q` or
 * `r`) is ignored whole, as the draft requires; an item repeated under one name keeps its first.
 */
export function ietfWindows(headers: HeaderContext): ObservedWindow[] {
  const policies = readItems(headers.get('ratelimit-policy'), 'q')
  const limits = readItems(headers.get('ratelimit'), 'r')
  const windows = new Map<string, ObservedWindow>()
  for (const [name, params] of policies ?? []) {
    const limit = integer(params, 'q') as number
    const windowMs = capWindow(seconds(integer(params, 'w')))
    const unit = unitOf(params)
    windows.set(name, {
      name,
      limit,
      ...(windowMs === undefined ? {} : { windowMs }),
      ...(unit === undefined ? {} : { unit }),
    })
  }
  for (const [name, params] of limits ?? []) {
    const remaining = integer(params, 'r') as number
    const resetMs = capReset(seconds(integer(params, 't')))
    windows.set(name, {
      ...(windows.get(name) ?? { name }),
      remaining,
      ...(resetMs === undefined ? {} : { resetMs }),
    })
  }
  return [...windows.values()]
}

/**
 * draft-07: `RateLimit` is a Dictionary of Integers, `RateLimit-Policy` a List of Integer
 * items whose `w` is the window in seconds; the policy whose quota equals `limit` gives the
 * window. Reported as the window `default`.
 *
 *     RateLimit: limit=100, remaining=50, reset=5
 *     RateLimit-Policy: 100;w=10
 */
export function draft07Windows(headers: HeaderContext): ObservedWindow[] {
  const text = headers.get('ratelimit')
  const fields = text === undefined ? undefined : parseDictionary(text)
  if (!fields) return []
  const read = (key: string): number | undefined => {
    const member = fields.get(key)
    return member?.kind === 'item' && member.bare.type === 'integer' && member.bare.value >= 0
      ? member.bare.value
      : undefined
  }
  const limit = read('limit')
  const remaining = read('remaining')
  const reset = read('reset')
  // `limit` and `reset` are required; a `remaining` of the wrong type breaks the field.
  if (limit === undefined || reset === undefined) return []
  if (fields.has('remaining') && remaining === undefined) return []
  const resetMs = capReset(seconds(reset))
  const windowMs = legacyWindow(limit, headers.get('ratelimit-policy'))
  return [
    {
      name: 'default',
      limit,
      ...(remaining === undefined ? {} : { remaining }),
      ...(resetMs === undefined ? {} : { resetMs }),
      ...(windowMs === undefined ? {} : { windowMs }),
    },
  ]
}

/**
 * Drafts up to -06 (and the express-rate-limit `draft-6` mode): three fields, the limit
 * optionally followed by policies (`RateLimit-Limit: 100, 100;w=60` up to -03), or the
 * policies in `RateLimit-Policy: 100;w=60` (-04 to -06). `RateLimit-Reset` is delta-seconds.
 * Reported as the window `default`.
 */
export function draft06Windows(headers: HeaderContext): ObservedWindow[] {
  const limitField = headers.get('ratelimit-limit')
  const members = limitField === undefined ? undefined : parseList(limitField)
  const first = members?.[0]
  const limit =
    first?.kind === 'item' && first.bare.type === 'integer' && first.bare.value >= 0
      ? first.bare.value
      : undefined
  const remaining = parseCount(headers.get('ratelimit-remaining'))
  // delay-seconds: a whole number.
  const resetMs = capReset(seconds(parseCount(headers.get('ratelimit-reset'))))
  if (limit === undefined && remaining === undefined && resetMs === undefined) return []
  const windowMs =
    limit === undefined
      ? undefined
      : (policyWindow(limit, members?.slice(1) ?? []) ??
        legacyWindow(limit, headers.get('ratelimit-policy')))
  return [
    {
      name: 'default',
      ...(limit === undefined ? {} : { limit }),
      ...(remaining === undefined ? {} : { remaining }),
      ...(resetMs === undefined ? {} : { resetMs }),
      ...(windowMs === undefined ? {} : { windowMs }),
    },
  ]
}

type Params = ReadonlyMap<string, Item['bare']>

// The parameters each field defines, and their types.
const typed = {
  q: [
    ['q', 'integer'],
    ['w', 'integer'],
    ['qu', 'string'],
    ['pk', 'bytes'],
  ],
  r: [
    ['r', 'integer'],
    ['t', 'integer'],
    ['pk', 'bytes'],
  ],
} as const

/** Items of a draft-08+ List by name, or undefined when the field is absent or malformed. */
function readItems(text: string | undefined, required: 'q' | 'r'): Map<string, Params> | undefined {
  if (text === undefined) return undefined
  const members = parseList(text)
  if (!members) return undefined
  const items = new Map<string, Params>()
  for (const member of members) {
    if (member.kind !== 'item' || member.bare.type !== 'string') return undefined
    const { params } = member
    if (integer(params, required) === undefined) return undefined
    // The field's other parameters, when present, must have their type too; unknown ones
    // are comments.
    for (const [key, type] of typed[required]) {
      const value = params.get(key)
      if (value !== undefined && value.type !== type) return undefined
      if (value?.type === 'integer' && value.value < 0) return undefined
    }
    // A window must be non-zero.
    if (required === 'q' && params.get('w')?.value === 0) return undefined
    if (!items.has(member.bare.value)) items.set(member.bare.value, params)
  }
  return items
}

function integer(params: Params, key: string): number | undefined {
  const value = params.get(key)
  return value?.type === 'integer' && value.value >= 0 ? value.value : undefined
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1_000
}

// `requests` is the default unit (the draft's registry spells it `request`).
function unitOf(params: Params): string | undefined {
  const unit = params.get('qu')
  if (unit?.type !== 'string') return undefined
  const value = unit.value.toLowerCase()
  return value === 'requests' || value === 'request' || !/^[a-z][a-z0-9-]{0,63}$/.test(value)
    ? undefined
    : value
}

/** The window of the draft-07 (or -04 to -06) policy whose quota is `limit`. */
function legacyWindow(limit: number, text: string | undefined): number | undefined {
  const members = text === undefined ? undefined : parseList(text)
  return members ? policyWindow(limit, members) : undefined
}

function policyWindow(limit: number, members: readonly Member[]): number | undefined {
  for (const member of members) {
    if (member.kind !== 'item' || member.bare.type !== 'integer') continue
    if (member.bare.value !== limit) continue
    const window = integer(member.params, 'w')
    if (window !== undefined) return capWindow(seconds(window))
  }
  return undefined
}
