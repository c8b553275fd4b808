// Shopify: the REST Admin API's call-limit header and the GraphQL Admin API's query cost.
import { capReset, oneValue, type HeaderContext } from './header-values.js'
import type { ObservedWindow } from './observe.js'

/**
 * `X-Shopify-Shop-Api-Call-Limit: 32/40`: 32 calls in a leaky bucket of 40, reported as the
 * window `calls` with limit 40 and remaining 8. The bucket's leak rate (2/s on standard plans)
 * is not in the header, so there is no reset or window length.
 */
export function shopifyWindows(headers: HeaderContext): ObservedWindow[] {
  const value = oneValue(headers.get('x-shopify-shop-api-call-limit'))
  const match = value === undefined ? null : /^(\d{1,9})\s*\/\s*(\d{1,9})$/.exec(value)
  if (!match) return []
  const used = Number(match[1])
  const limit = Number(match[2])
  if (limit === 0 || used > limit) return []
  return [{ name: 'calls', limit, remaining: limit - used }]
}

/**
 * Shopify GraphQL's `extensions.cost` as the window `cost`, counted in `points`:
 *
 *     { "extensions": { "cost": { "requestedQueryCost": 101, "actualQueryCost": 46,
 *       "throttleStatus": { "maximumAvailable": 2000, "currentlyAvailable": 1954, "restoreRate": 100 } } } }
 *
 * limit = maximumAvailable, remaining = currentlyAvailable (rounded down), resetMs = the time
 * the bucket takes to refill at restoreRate points per second. `cost.requested` is what the
 * query reserved, `cost.actual` what it was charged (absent when it was throttled), so a
 * caller can settle a reservation.
 */
export function shopifyCostWindow(body: unknown): ObservedWindow[] {
  const cost = field(field(body, 'extensions'), 'cost')
  const status = field(cost, 'throttleStatus')
  const maximum = field(status, 'maximumAvailable')
  const available = field(status, 'currentlyAvailable')
  const restoreRate = field(status, 'restoreRate')
  const limit =
    typeof maximum === 'number' && Number.isSafeInteger(maximum) && maximum > 0
      ? maximum
      : undefined
  const remaining = points(available)
  const requested = points(field(cost, 'requestedQueryCost'))
  const actual = points(field(cost, 'actualQueryCost'))
  let resetMs: number | undefined
  if (
    limit !== undefined &&
    typeof available === 'number' &&
    available >= 0 &&
    available <= limit &&
    typeof restoreRate === 'number' &&
    Number.isFinite(restoreRate) &&
    restoreRate > 0
  ) {
    const ms = Math.ceil(((limit - available) * 1_000) / restoreRate)
    resetMs = Number.isSafeInteger(ms) ? capReset(ms) : undefined
  }
  if (limit === undefined && remaining === undefined) return []
  return [
    {
      name: 'cost',
      unit: 'points',
      ...(limit === undefined ? {} : { limit }),
      ...(remaining === undefined ? {} : { remaining }),
      ...(resetMs === undefined ? {} : { resetMs }),
      ...(requested === undefined && actual === undefined
        ? {}
        : {
            cost: {
              ...(requested === undefined ? {} : { requested }),
              ...(actual === undefined ? {} : { actual }),
            },
          }),
    },
  ]
}

function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
}

function points(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined
  const whole = Math.floor(value)
  return Number.isSafeInteger(whole) ? whole : undefined
}
