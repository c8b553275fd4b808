// stripe-node takes a host and a port, not a path: the gateway serves Stripe's proxy on the
// port of `providers.stripe.port` as well, with Stripe's own paths.
import Stripe from 'stripe'

const stripe = new Stripe(process.env.SEAMLINE_PROXY_TOKEN, {
  host: '127.0.0.1',
  port: Number(process.env.SEAMLINE_STRIPE_PORT),
  protocol: 'http',
})
const customer = await stripe.customers.create({ email: 'ada@example.com' })
console.log(customer.id)
