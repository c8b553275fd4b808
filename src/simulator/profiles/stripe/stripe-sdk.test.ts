import Stripe from 'stripe'
import { afterAll, describe, expect, it } from 'vitest'
import { createSimulator } from '../../simulator.js'

// The official SDK, pointed at the simulator as the docs tell users to.
const sim = await createSimulator({ profile: 'stripe', seed: 11, stripe: { ratePerSecond: 1_000 } })
afterAll(() => sim.close())
const { port } = new URL(sim.url)
const stripe = new Stripe(sim.credentials.apiKey!, {
  host: '127.0.0.1',
  port: Number(port),
  protocol: 'http',
  maxNetworkRetries: 3,
})

describe('the official Stripe SDK against the simulator', () => {
  it('creates, lists with auto-pagination and refunds', async () => {
    for (let i = 0; i < 5; i++) await stripe.customers.create({ email: `${i}@example.com` })
    const emails: string[] = []
    for await (const customer of stripe.customers.list({ limit: 2 })) emails.push(customer.email!)
    expect(emails).toEqual([
      '4@example.com',
      '3@example.com',
      '2@example.com',
      '1@example.com',
      '0@example.com',
    ])
    const charge = await stripe.charges.create({ amount: 700, currency: 'usd' })
    const refund = await stripe.refunds.create({ charge: charge.id, amount: 200 })
    expect(refund).toMatchObject({ object: 'refund', amount: 200, status: 'succeeded' })
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
    })
  })

  it('retries a lost response with its own idempotency key, and the simulator sees no duplicate', async () => {
    sim.reset()
    sim.setFaults([
      { route: 'POST /v1/charges', sequence: [{ kind: 'reset-after' }, { kind: 'reset-after' }] },
    ])
    const charge = await stripe.charges.create({
      amount: 900,
      currency: 'usd',
      metadata: { operation_id: 'order-1' },
    })
    expect(charge.amount).toBe(900)
    const stats = sim.stats().routes['POST /v1/charges']!
    expect(stats.requests).toBe(3)
    expect(stats.executions).toBe(1)
    expect(stats.duplicateExecutionsByOperation).toBe(0)
  })

  it('rejects the wrong key the way Stripe does', async () => {
    const wrong = new Stripe('sk_test_wrong', {
      host: '127.0.0.1',
      port: Number(port),
      protocol: 'http',
    })
    await expect(wrong.customers.list()).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    })
  })
})
