import type { Clock } from '../../../time/index.js'
import type { Random } from '../../random.js'

export interface StripeObject {
  id: string
  object: string
  created: number
  [field: string]: unknown
}

/** Every object the profile holds, by id and by kind in creation order, plus the event log. */
export class StripeStore {
  #byId = new Map<string, StripeObject>()
  #byKind = new Map<string, StripeObject[]>()

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1_000)
  }

  create(prefix: string, object: string, fields: Record<string, unknown>): StripeObject {
    const created: StripeObject = {
      id: `${prefix}_${this.random.token(14)}`,
      object,
      created: this.nowSeconds(),
      livemode: false,
      ...fields,
    }
    this.#byId.set(created.id, created)
    const list = this.#byKind.get(object) ?? []
    list.push(created)
    this.#byKind.set(object, list)
    return created
  }

  get(object: string, id: string): StripeObject | undefined {
    const found = this.#byId.get(id)
    return found?.object === object ? found : undefined
  }

  /** Objects of a kind, newest first, as Stripe lists them. */
  all(object: string): StripeObject[] {
    return [...(this.#byKind.get(object) ?? [])].reverse()
  }

  /** Records an event whose payload is a snapshot of `subject` now. */
  event(type: string, subject: StripeObject): StripeObject {
    return this.create('evt', 'event', {
      type,
      api_version: '2025-01-27.acacia',
      data: { object: structuredClone(subject) },
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
    })
  }
}
