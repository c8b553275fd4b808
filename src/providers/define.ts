import type { ProviderPreset } from '../http/index.js'

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) freeze(inner)
  }
  return value
}

/**
 * A preset, frozen all the way down: one preset object is shared by every client built from
 * it, so a change to it in one place must not reach the others. Override by spreading instead.
 * Its type stays as precise as written, so `xero.quotas` needs no `!`.
 */
export function definePreset<const P extends ProviderPreset>(preset: P): P {
  return freeze(preset)
}
