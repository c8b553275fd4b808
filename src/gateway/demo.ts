import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encryptionKeysVariable } from '../credentials/index.js'
import { createSimulator, type Simulator } from '../simulator/index.js'
import { webhookScheme } from '../webhooks/index.js'
import type { GatewayConfig } from './config-schema.js'
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js'

export interface DemoOptions extends Pick<GatewayOptions, 'log' | 'worker'> {
  port?: number
  host?: string
  /** Between two simulated Stripe events. Default 5 s. */
  everyMs?: number
  /** Called with one line for each thing the demo app receives. */
  onAppLine?: (line: string) => void
}

export interface Demo {
  gateway: Gateway
  /** The gateway's URL. */
  url: string
  /** The simulated Stripe API. */
  simulator: Simulator
  /** The simulated Xero API and OAuth server, when the configuration has `xero` with `oauth`. */
  xero?: Simulator
  /** The demo app the events are forwarded to. */
  appUrl: string
  /** The proxy token the demo app calls the proxy with. */
  proxyToken: string
  stop(): Promise<void>
}

const newWhsec = (): string => `whsec_${randomBytes(24).toString('base64')}`

/**
 * A stand-in for the app: verifies each forwarded request, fails every third event once (the
 * gateway retries it), and answers 410 Gone to every seventh (a dead letter at once).
 */
async function startDemoApp(secret: string, onLine: (line: string) => void) {
  const verifier = webhookScheme('standard-webhooks')
  const seen = new Map<string, number>()
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      let id: string
      try {
        id = verifier.verify(request.headers, body, { secrets: [secret] }).id ?? '?'
      } catch (error) {
        onLine(`demo app: refused a request with a bad signature (${(error as Error).message})`)
        response.writeHead(401).end()
        return
      }
      const count = (seen.get(id) ?? 0) + 1
      seen.set(id, count)
      const gone = seen.size % 7 === 0
      const fail = !gone && count === 1 && seen.size % 3 === 0
      const type = String(request.headers['x-seamline-event-type'] ?? '')
      const answer = gone
        ? 'answering 410 Gone: a dead letter on the dashboard, to replay'
        : fail
          ? 'answering 503, the gateway will retry'
          : 'answering 200'
      onLine(`demo app: ${id} (${type}) signature verified, delivery ${count}: ${answer}`)
      response
        .writeHead(gone ? 410 : fail ? 503 : 200, { 'content-type': 'application/json' })
        .end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * What a user's browser does to connect an account: the gateway's authorization URL, the
 * provider's redirect back to the gateway's callback (the simulator consents without asking).
 */
async function connectDemoUser(url: string, adminToken: string, provider: string, id: string) {
  const started = await fetch(`${url}/api/connections/${provider}/${id}/authorize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: '{}',
  })
  const { url: authorize } = (await started.json()) as { url: string }
  const consent = await fetch(authorize, { redirect: 'manual' })
  const callback = consent.headers.get('location')
  const done = callback ? await fetch(callback) : undefined
  await done?.body?.cancel()
  if (!done?.ok) {
    throw new Error(`the demo could not connect ${provider}: ${done?.status ?? consent.status}`)
  }
}

const eventTypes = ['charge.succeeded', 'customer.subscription.updated', 'invoice.paid']

/**
 * The configuration and environment the demo runs with: every source's secrets and destination
 * replaced by the demo's own, Stripe's API by `stripe`, and Xero's (with its OAuth server) by
 * `xero` when the configuration has `xero` with `oauth`.
 */
function demoConfig(
  config: GatewayConfig,
  demo: {
    stripe: Simulator
    xero: Simulator | undefined
    appUrl: string
    appSecret: string
    proxyToken: string
  },
): { config: GatewayConfig; env: Record<string, string> } {
  const { stripe, xero } = demo
  const env: Record<string, string> = {}
  const sources = Object.fromEntries(
    Object.entries(config.webhooks.sources).map(([name, source]) => {
      for (const variable of source.secrets) {
        env[variable] =
          source.provider === 'stripe' ? (stripe.credentials.webhookSecret as string) : newWhsec()
      }
      env[source.destination.secret] = demo.appSecret
      const destination = { ...source.destination, url: `${demo.appUrl}/${name}` }
      return [name, { ...source, destination }]
    }),
  )
  for (const provider of Object.values(config.providers)) {
    for (const [key, variable] of Object.entries(provider.credentials ?? {})) {
      env[variable] = key === 'apiKey' ? (stripe.credentials.apiKey ?? 'demo') : 'demo'
    }
  }
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, provider]) => {
      if (name === 'stripe') return [name, { ...provider, baseUrl: stripe.url }]
      if (name !== 'xero' || !xero || !provider.oauth) return [name, provider]
      const { credentials } = xero
      env[provider.oauth.clientId] = credentials.clientId as string
      env[provider.oauth.clientSecret] = credentials.clientSecret as string
      const oauth = {
        ...provider.oauth,
        tokenUrl: `${xero.url}/oauth/token`,
        authorizeUrl: `${xero.url}/oauth/authorize`,
        connection: 'demo',
      }
      const params = { ...provider.params, tenantId: credentials.tenantId as string }
      return [name, { ...provider, baseUrl: `${xero.url}/api.xro/2.0`, params, oauth }]
    }),
  )
  // OAuth tokens are stored sealed: the demo seals them under a key of its own.
  env[encryptionKeysVariable] ??= `demo:${randomBytes(32).toString('base64')}`
  // The demo app calls the proxy with a token of the demo's own.
  const tokens = config.proxy.tokens.length > 0 ? config.proxy.tokens : ['SEAMLINE_PROXY_TOKEN']
  for (const variable of tokens) env[variable] = demo.proxyToken
  const proxy = { ...config.proxy, tokens }
  return { config: { ...config, providers, proxy, webhooks: { ...config.webhooks, sources } }, env }
}

/** Simulated Stripe posts a signed event every `everyMs`, each delivered twice, as Stripe may. */
function sendStripeEvents(stripe: Simulator, target: string, everyMs: number) {
  // Stripe's retry schedule (hours) runs in seconds.
  const sender = stripe.webhookSender({ target, duplicates: 1, timeScale: 3_600 })
  let sending: Promise<unknown> = Promise.resolve()
  let n = 0
  const send = () => {
    n++
    const id = `evt_demo_${Date.now().toString(36)}_${n}`
    const type = eventTypes[n % eventTypes.length] as string
    const payload = {
      id,
      object: 'event',
      type,
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `ch_demo_${n}`, customer: `cus_demo_${n % 2}` } },
    }
    sending = sending.then(() => sender.send([{ id, type, payload }])).catch(() => undefined)
  }
  send()
  return setInterval(send, everyMs)
}

/** A call of the app through the proxy; what it answers shows on the dashboard, not here. */
const callProxy = (url: string, token: string, path: string): void =>
  void fetch(`${url}/proxy${path}`, { headers: { authorization: `Bearer ${token}` } })
    .then((answer) => answer.body?.cancel())
    .catch(() => undefined)

/**
 * Demo mode: the gateway with the provider simulator as Stripe, the simulator's webhook sender
 * posting signed Stripe events (each delivered twice, as Stripe may), and a small app receiving
 * the forwarded events. Every source's secrets and destination are replaced by the demo's own.
 */
export async function startDemo(config: GatewayConfig, options: DemoOptions = {}): Promise<Demo> {
  const onLine = options.onAppLine ?? ((line: string) => console.log(line))
  const everyMs = options.everyMs ?? 5_000
  // One call in ten fails (503 or 429): the proxy's retries and waits show.
  const stripe = await createSimulator({
    profile: 'stripe',
    seed: Date.now() % 1_000_000,
    faults: [
      { route: 'GET /v1/*', probability: 0.05, fault: { kind: 'status', status: 503 } },
      {
        route: 'GET /v1/*',
        probability: 0.05,
        fault: { kind: 'rate-limit', retryAfterSeconds: 1 },
      },
    ],
  })
  const appSecret = newWhsec()
  const app = await startDemoApp(appSecret, onLine)
  // A second simulator stands in for Xero, whose OAuth server issues access tokens of 40 s: the
  // gateway refreshes them within a minute.
  const xero = config.providers.xero?.oauth
    ? await createSimulator({
        profile: 'xero',
        seed: (Date.now() + 1) % 1_000_000,
        oauth: { accessTokenSeconds: 40 },
      })
    : undefined
  const proxyToken = `sl_proxy_${randomBytes(32).toString('base64url')}`
  const demo = demoConfig(config, { stripe, xero, appUrl: app.url, appSecret, proxyToken })
  const gateway = await createGateway(demo.config, {
    env: demo.env,
    generateAdminToken: true,
    ...(options.log && { log: options.log }),
    ...(options.worker && { worker: options.worker }),
  })
  const url = await gateway.start(options.port, options.host)

  const timers: NodeJS.Timeout[] = []
  const sources = Object.entries(demo.config.webhooks.sources)
  const stripeSource = sources.find(([, s]) => s.provider === 'stripe')?.[0]
  if (stripeSource !== undefined) {
    timers.push(sendStripeEvents(stripe, `${url}/webhooks/${stripeSource}`, everyMs))
  }
  // The app also calls Stripe through the proxy, in bursts past the test-mode limit: the
  // gateway queues what the quota cannot take now and retries what the provider refuses.
  if (Object.hasOwn(demo.config.providers, 'stripe')) {
    const burst = () => {
      for (let i = 0; i < 40; i++) callProxy(url, proxyToken, '/stripe/v1/customers?limit=1')
    }
    timers.push(setInterval(burst, everyMs * 2))
  }
  // The demo user connects Xero (the simulator consents at once), then the app reads its
  // invoices through the proxy every 5 s: each call carries the connection's token.
  if (xero && demo.config.providers.xero?.oauth) {
    await connectDemoUser(url, gateway.adminToken!, 'xero', 'demo')
    onLine('demo app: connected Xero as "demo" (the gateway keeps its token fresh)')
    timers.push(setInterval(() => callProxy(url, proxyToken, '/xero/Invoices'), everyMs))
  }

  return {
    gateway,
    url,
    simulator: stripe,
    ...(xero && { xero }),
    appUrl: app.url,
    proxyToken,
    async stop() {
      for (const timer of timers) clearInterval(timer)
      // Deliveries in flight end against the stopped gateway; the sender is not awaited, since
      // its retry schedule could outlast the stop.
      await gateway.stop()
      await app.close()
      await stripe.close()
      await xero?.close()
    },
  }
}
