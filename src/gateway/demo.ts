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
 * Demo mode: the gateway with the provider simulator as Stripe, the simulator's webhook sender
 * posting signed Stripe events (each delivered twice, as Stripe may), and a small app receiving
 * the forwarded events. Every source's secrets and destination are replaced by the demo's own.
 */
export async function startDemo(config: GatewayConfig, options: DemoOptions = {}): Promise<Demo> {
  const onLine = options.onAppLine ?? ((line: string) => console.log(line))
  // One call in ten fails (503 or 429): the proxy's retries and waits show.
  const simulator = await createSimulator({
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
  const destinationSecret = newWhsec()
  const app = await startDemoApp(destinationSecret, onLine)
  const env: Record<string, string> = {}
  const sources = Object.fromEntries(
    Object.entries(config.webhooks.sources).map(([name, source]) => {
      for (const variable of source.secrets) {
        env[variable] =
          source.provider === 'stripe'
            ? (simulator.credentials.webhookSecret as string)
            : newWhsec()
      }
      env[source.destination.secret] = destinationSecret
      return [
        name,
        { ...source, destination: { ...source.destination, url: `${app.url}/${name}` } },
      ]
    }),
  )
  for (const provider of Object.values(config.providers)) {
    for (const [key, variable] of Object.entries(provider.credentials ?? {})) {
      env[variable] = key === 'apiKey' ? (simulator.credentials.apiKey ?? 'demo') : 'demo'
    }
  }
  // The simulator stands in for Stripe's API too, behind the proxy, and a second one for Xero,
  // whose OAuth server issues access tokens of 40 s: the gateway refreshes them within a minute.
  const oauthSimulator = config.providers.xero?.oauth
    ? await createSimulator({
        profile: 'xero',
        seed: (Date.now() + 1) % 1_000_000,
        oauth: { accessTokenSeconds: 40 },
      })
    : undefined
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, provider]) => {
      if (name === 'stripe') return [name, { ...provider, baseUrl: simulator.url }]
      if (name !== 'xero' || !oauthSimulator || !provider.oauth) return [name, provider]
      const { credentials } = oauthSimulator
      env[provider.oauth.clientId] = credentials.clientId as string
      env[provider.oauth.clientSecret] = credentials.clientSecret as string
      return [
        name,
        {
          ...provider,
          baseUrl: `${oauthSimulator.url}/api.xro/2.0`,
          params: { ...provider.params, tenantId: credentials.tenantId as string },
          oauth: {
            ...provider.oauth,
            tokenUrl: `${oauthSimulator.url}/oauth/token`,
            authorizeUrl: `${oauthSimulator.url}/oauth/authorize`,
            connection: 'demo',
          },
        },
      ]
    }),
  )
  // OAuth tokens are stored sealed: the demo seals them under a key of its own.
  env[encryptionKeysVariable] ??= `demo:${randomBytes(32).toString('base64')}`
  const gateway = await createGateway(
    { ...config, providers, webhooks: { ...config.webhooks, sources } },
    {
      env,
      generateAdminToken: true,
      ...(options.log && { log: options.log }),
      ...(options.worker && { worker: options.worker }),
    },
  )
  const url = await gateway.start(options.port, options.host)

  const stripeSource = Object.entries(sources).find(([, s]) => s.provider === 'stripe')?.[0]
  let timer: NodeJS.Timeout | undefined
  let sending: Promise<unknown> = Promise.resolve()
  if (stripeSource !== undefined) {
    const sender = simulator.webhookSender({
      target: `${url}/webhooks/${stripeSource}`,
      duplicates: 1,
      // Stripe's retry schedule (hours) runs in seconds.
      timeScale: 3_600,
    })
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
    timer = setInterval(send, options.everyMs ?? 5_000)
  }

  // A call of the app through the proxy; what it answers shows on the dashboard, not here.
  const callProxy = (path: string): void =>
    void fetch(`${url}/proxy${path}`)
      .then((answer) => answer.body?.cancel())
      .catch(() => undefined)

  // The app also calls Stripe through the proxy, in bursts past the test-mode limit: the
  // gateway queues what the quota cannot take now and retries what the provider refuses.
  let calling: NodeJS.Timeout | undefined
  if (Object.hasOwn(providers, 'stripe')) {
    const burst = () => {
      for (let i = 0; i < 40; i++) callProxy('/stripe/v1/customers?limit=1')
    }
    calling = setInterval(burst, (options.everyMs ?? 5_000) * 2)
  }

  // The demo user connects Xero (the simulator consents at once), then the app reads its
  // invoices through the proxy every 5 s: each call carries the connection's token.
  let reading: NodeJS.Timeout | undefined
  if (oauthSimulator && providers.xero?.oauth) {
    await connectDemoUser(url, gateway.adminToken!, 'xero', 'demo')
    onLine('demo app: connected Xero as "demo" (the gateway keeps its token fresh)')
    reading = setInterval(() => callProxy('/xero/Invoices'), options.everyMs ?? 5_000)
  }

  return {
    gateway,
    url,
    simulator,
    ...(oauthSimulator && { xero: oauthSimulator }),
    appUrl: app.url,
    async stop() {
      clearInterval(timer)
      clearInterval(calling)
      clearInterval(reading)
      // Deliveries in flight end against the stopped gateway; the sender is not awaited, since
      // its retry schedule could outlast the stop.
      void sending
      await gateway.stop()
      await app.close()
      await simulator.close()
      await oauthSimulator?.close()
    },
  }
}
