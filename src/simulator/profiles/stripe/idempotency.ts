import type { Clock } from '../../../time/index.js'
import type { SimResponse } from '../../http.js'

type Entry =
  | { state: 'in-flight'; params: string; at: number }
  | { state: 'done'; params: string; at: number; response: SimResponse }

export type Reservation =
  | { kind: 'new'; finish(response: SimResponse): void }
  | { kind: 'replay'; response: SimResponse }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }

// Stripe keeps a key's result for at least 24 hours.
const keepMs = 24 * 60 * 60 * 1_000

/**
 * Stripe's idempotency layer: a key (scoped to the API key) first used with some parameters
 * replays its stored result for the same parameters, refuses other parameters, and refuses a
 * request while the first one is still executing. Only requests that started executing store a
 * result; one refused by validation frees the key.
 */
export class IdempotencyKeys {
  #entries = new Map<string, Entry>()

  constructor(private readonly clock: Clock) {}

  reserve(key: string, params: string): Reservation {
    const now = this.clock.now()
    const entry = this.#entries.get(key)
    if (entry && now - entry.at < keepMs) {
      if (entry.params !== params) return { kind: 'mismatch' }
      if (entry.state === 'in-flight') return { kind: 'in-flight' }
      return { kind: 'replay', response: entry.response }
    }
    this.#entries.set(key, { state: 'in-flight', params, at: now })
    return {
      kind: 'new',
      finish: (response) => {
        if (response.effect) this.#entries.set(key, { state: 'done', params, at: now, response })
        else this.#entries.delete(key)
      },
    }
  }
}
