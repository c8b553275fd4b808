import { json, type SimRequest, type SimResponse } from '../../http.js'
import { Router } from '../../router.js'
import { invalidParam, missingParam, noSuch } from './errors.js'
import { parseForm, type FormValue } from '../../form.js'
import { listResponse } from './lists.js'
import type { StripeObject, StripeStore } from './store.js'

type Params = Record<string, FormValue>

const text = (params: Params, name: string): string | undefined => {
  const value = params[name]
  return typeof value === 'string' ? value : undefined
}

const metadataOf = (params: Params): Record<string, FormValue> => {
  const m = params.metadata
  return m && typeof m === 'object' && !Array.isArray(m) ? m : {}
}

const positiveInteger = (value: string | undefined): number | undefined =>
  value !== undefined && /^[1-9]\d*$/.test(value) ? Number(value) : undefined

/** The caller-supplied logical operation id the duplicate counter uses, if the body has one. */
export const operationOf = (params: Params): string | undefined => {
  const id = metadataOf(params).operation_id
  return typeof id === 'string' ? id : undefined
}

export const formOf = (request: SimRequest): Params => parseForm(request.body.toString('utf8'))

// A successful mutation: the object, and the effect marker the duplicate counters read.
const done = (object: StripeObject, params: Params, status = 200): SimResponse => {
  const operation = operationOf(params)
  return { status, body: object, effect: operation === undefined ? {} : { operation } }
}

/** Customers, charges, refunds, subscriptions and events, with Stripe's list semantics. */
export function stripeRoutes(store: StripeStore): Router {
  const router = new Router()
  const retrieve = (kind: string, label: string) => (request: SimRequest) => {
    const found = store.get(kind, request.params.id as string)
    return found ? json(200, found) : noSuch(label, request.params.id as string)
  }
  const filtered = (kind: string, field: string) => (request: SimRequest) => {
    const want = request.query.get(field)
    const items = store.all(kind).filter((o) => want === null || o[field] === want)
    return listResponse(request, items)
  }

  router
    .on('POST', '/v1/customers', (request) => {
      const params = formOf(request)
      const customer = store.create('cus', 'customer', {
        email: text(params, 'email') ?? null,
        name: text(params, 'name') ?? null,
        description: text(params, 'description') ?? null,
        metadata: metadataOf(params),
      })
      store.event('customer.created', customer)
      return done(customer, params)
    })
    .on('GET', '/v1/customers', filtered('customer', 'email'))
    .on('GET', '/v1/customers/:id', retrieve('customer', 'customer'))
    .on('POST', '/v1/customers/:id', (request) => {
      const customer = store.get('customer', request.params.id as string)
      if (!customer) return noSuch('customer', request.params.id as string)
      const params = formOf(request)
      for (const field of ['email', 'name', 'description']) {
        const value = text(params, field)
        if (value !== undefined) customer[field] = value
      }
      customer.metadata = { ...(customer.metadata as object), ...metadataOf(params) }
      store.event('customer.updated', customer)
      return done(customer, params)
    })
    .on('DELETE', '/v1/customers/:id', (request) => {
      const customer = store.get('customer', request.params.id as string)
      if (!customer || customer.deleted) return noSuch('customer', request.params.id as string)
      customer.deleted = true
      store.event('customer.deleted', customer)
      return done(
        { id: customer.id, object: 'customer', created: customer.created, deleted: true },
        {},
      )
    })

    .on('POST', '/v1/charges', (request) => {
      const params = formOf(request)
      const amount = positiveInteger(text(params, 'amount'))
      if (text(params, 'amount') === undefined) return missingParam('amount')
      if (amount === undefined) return invalidParam('amount', 'Invalid positive integer')
      const currency = text(params, 'currency')
      if (!currency) return missingParam('currency')
      const customer = text(params, 'customer')
      if (customer !== undefined && !store.get('customer', customer)) {
        return noSuch('customer', customer, 'customer')
      }
      const charge = store.create('ch', 'charge', {
        amount,
        amount_refunded: 0,
        currency: currency.toLowerCase(),
        customer: customer ?? null,
        description: text(params, 'description') ?? null,
        metadata: metadataOf(params),
        paid: true,
        refunded: false,
        status: 'succeeded',
      })
      store.event('charge.succeeded', charge)
      return done(charge, params)
    })
    .on('GET', '/v1/charges', filtered('charge', 'customer'))
    .on('GET', '/v1/charges/:id', retrieve('charge', 'charge'))

    .on('POST', '/v1/refunds', (request) => {
      const params = formOf(request)
      const chargeId = text(params, 'charge')
      if (!chargeId) return missingParam('charge')
      const charge = store.get('charge', chargeId)
      if (!charge) return noSuch('charge', chargeId, 'charge')
      const left = (charge.amount as number) - (charge.amount_refunded as number)
      const given = text(params, 'amount')
      const amount = given === undefined ? left : positiveInteger(given)
      if (amount === undefined) return invalidParam('amount', 'Invalid positive integer')
      if (left === 0) {
        return invalidParam('charge', `Charge ${chargeId} has already been refunded.`)
      }
      if (amount > left) {
        return invalidParam(
          'amount',
          `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        )
      }
      const refund = store.create('re', 'refund', {
        amount,
        charge: chargeId,
        currency: charge.currency,
        metadata: metadataOf(params),
        status: 'succeeded',
      })
      charge.amount_refunded = (charge.amount_refunded as number) + amount
      charge.refunded = charge.amount_refunded === charge.amount
      store.event('charge.refunded', charge)
      return done(refund, params)
    })
    .on('GET', '/v1/refunds', filtered('refund', 'charge'))
    .on('GET', '/v1/refunds/:id', retrieve('refund', 'refund'))

    .on('POST', '/v1/subscriptions', (request) => {
      const params = formOf(request)
      const customer = text(params, 'customer')
      if (!customer) return missingParam('customer')
      if (!store.get('customer', customer)) return noSuch('customer', customer, 'customer')
      const items = Array.isArray(params.items) ? params.items : []
      const prices = items.map((item) =>
        typeof item === 'object' && !Array.isArray(item) && typeof item.price === 'string'
          ? item.price
          : undefined,
      )
      if (prices.length === 0 || prices.includes(undefined)) return missingParam('items[0][price]')
      const subscription = store.create('sub', 'subscription', {
        customer,
        status: 'active',
        cancel_at_period_end: false,
        canceled_at: null,
        metadata: metadataOf(params),
        items: {
          object: 'list',
          data: prices.map((price) => ({ object: 'subscription_item', price: { id: price } })),
        },
      })
      subscription.current_period_start = subscription.created
      subscription.current_period_end = subscription.created + 30 * 86_400
      store.event('customer.subscription.created', subscription)
      return done(subscription, params)
    })
    .on('GET', '/v1/subscriptions', (request) => {
      // Without `status`, canceled subscriptions are left out; `status=all` includes them.
      const status = request.query.get('status')
      const customer = request.query.get('customer')
      const items = store
        .all('subscription')
        .filter((s) =>
          status === 'all' ? true : status ? s.status === status : s.status !== 'canceled',
        )
        .filter((s) => customer === null || s.customer === customer)
      return listResponse(request, items)
    })
    .on('GET', '/v1/subscriptions/:id', retrieve('subscription', 'subscription'))
    .on('DELETE', '/v1/subscriptions/:id', (request) => {
      const subscription = store.get('subscription', request.params.id as string)
      if (!subscription) return noSuch('subscription', request.params.id as string)
      if (subscription.status === 'canceled') {
        return invalidParam(
          'id',
          `A canceled subscription can only update its cancellation_details and metadata.`,
        )
      }
      subscription.status = 'canceled'
      subscription.canceled_at = store.nowSeconds()
      store.event('customer.subscription.deleted', subscription)
      return done(subscription, {})
    })

    .on('GET', '/v1/events', filtered('event', 'type'))
    .on('GET', '/v1/events/:id', retrieve('event', 'event'))
  return router
}
