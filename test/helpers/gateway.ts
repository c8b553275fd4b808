import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import {
  createGateway,
  parseConfig,
  type Gateway,
  type GatewayConfigInput,
} from '../../src/gateway/index.js'
import { webhookScheme } from '../../src/webhooks/index.js'

export const stripeSecret = 'whsec_gatewaytest_stripe_0123456789'
// Standard Webhooks secrets are base64 after the prefix.
export const destinationSecret = `whsec_${Buffer.from('gateway-test-destination-key!!').toString('base64')}`

const sdk = new Stripe('sk_test_gateway').webhooks

/** A Stripe source forwarding to `url`, its secrets in `STRIPE_WHSEC` and `DEST_WHSEC`. */
export const stripeSource = (url: string) => ({
  provider: 'stripe',
  secrets: ['STRIPE_WHSEC'],
  destination: { url, secret: 'DEST_WHSEC' },
})

/** A Stripe event as Stripe sends it, signed by Stripe's own SDK. */
export function stripeDelivery(id: string, type = 'charge.succeeded', secret = stripeSecret) {
  const body = JSON.stringify({
    id,
    object: 'event',
    type,
    data: { object: { customer: 'cus_1' } },
  })
  const signature = sdk.generateTestHeaderString({ payload: body, secret })
  return { headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body }
}

/** Posts a signed delivery to the gateway through `inject`, without a socket. */
export function postDelivery(
  gateway: Pick<Gateway, 'app'>,
  path: string,
  delivery: { headers: Record<string, string>; body: string },
) {
  return gateway.app.inject({
    method: 'POST',
    url: path,
    headers: delivery.headers,
    payload: delivery.body,
  })
}

export interface ReceivedDelivery {
  id: string
  eventId: string
  attempt: number
  status: number
  verified: boolean
  body: string
  /** When the request arrived, in `performance.now()` milliseconds. */
  at: number
}

/**
 * A destination app on 127.0.0.1:0 that checks the Standard Webhooks signature of each
 * forwarded request and answers from a script: `answers[eventId]` lists the statuses of the
 * attempts in order (the last one repeats); 200 by default.
 */
export async function startReceiver(answers: Record<string, number[]> = {}) {
  const deliveries: ReceivedDelivery[] = []
  const read = async (request: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  const server: Server = createServer((request, response) => {
    const at = performance.now()
    void read(request).then((body) => {
      let verified = false
      let id = ''
      try {
        id = webhookScheme('standard-webhooks').verify(request.headers, body, {
          secrets: [destinationSecret],
        }).id as string
        verified = true
      } catch {
        verified = false
      }
      const eventId = String(request.headers['x-seamline-event-id'] ?? '')
      const seen = deliveries.filter((d) => d.eventId === eventId).length
      const script = answers[eventId] ?? [200]
      const status = verified ? (script[Math.min(seen, script.length - 1)] ?? 200) : 401
      deliveries.push({ id, eventId, attempt: seen + 1, status, verified, body, at })
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Polls until `check` holds; generous, since the shared machine may be slow. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  deadlineMs = 30_000,
): Promise<void> {
  const end = Date.now() + deadlineMs
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${what} never held within ${deadlineMs} ms`)
}

/** The proxy token the tests' apps carry, in the variable their configurations name. */
export const proxyToken = 'sl_proxy_test-token-0123456789abcdefghijkl'
export const proxyTokenEnv = { SEAMLINE_PROXY_TOKEN: proxyToken }
export const proxyTokens = { tokens: ['SEAMLINE_PROXY_TOKEN'] }

/** `inject` as an app calls the proxy: with its proxy token, unless the call says otherwise. */
export const asApp =
  (gateway: Pick<Gateway, 'app'>) =>
  (options: {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    url: string
    headers?: Record<string, string>
    payload?: string
  }) =>
    gateway.app.inject({
      ...options,
      headers: { authorization: `Bearer ${proxyToken}`, ...options.headers },
    })

/**
 * A quiet gateway proxying `providers` for an app holding `proxyToken`, on `store`; `env` holds
 * the providers' credentials.
 */
export const proxyGateway = (
  store: string,
  providers: NonNullable<GatewayConfigInput['providers']>,
  env: Record<string, string | undefined>,
) =>
  createGateway(parseConfig({ store, profile: 'development', proxy: proxyTokens, providers }), {
    env: { ...env, ...proxyTokenEnv },
    log: { enabled: false },
  })
