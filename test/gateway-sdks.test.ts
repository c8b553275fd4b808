import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Octokit } from '@octokit/rest'
import OpenAI from 'openai'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../src/gateway/index.js'
import { createSimulator, type Simulator } from '../src/simulator/index.js'
import { proxyGateway, proxyToken } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const run = promisify(execFile)
const store = useTempSqliteFile('sdks.sqlite')
const examples = fileURLToPath(new URL('../examples/sdk/', import.meta.url))
const docs = readFileSync(new URL('../docs/gateway.md', import.meta.url), 'utf8')

// Python's stripe comes from Debian (python3-stripe), which .ci/run installs when missing; the
// first python3 on the PATH may be another one.
const python = ['python3', '/usr/bin/python3'].find(
  (command) => spawnSync(command, ['-c', 'import stripe'], { stdio: 'ignore' }).status === 0,
)
if (!python) {
  if (process.env.CI)
    throw new Error('python3 cannot import stripe: apt-get install python3-stripe')
  console.warn(
    'skipping the Python SDK test: python3 cannot import stripe (apt-get install python3-stripe)',
  )
}

/** A port no one listens on now, for the gateway's Stripe listener. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe("the providers' official SDKs through the proxy", () => {
  const sims: Record<'stripe' | 'openai' | 'github', Simulator> = {} as never
  let gateway: Gateway
  let url: string
  let stripePort: number

  beforeAll(async () => {
    for (const profile of ['stripe', 'openai', 'github'] as const) {
      sims[profile] = await createSimulator({ profile, seed: 40 })
    }
    stripePort = await freePort()
    const credentials = (name: string) => ({ credentials: { apiKey: name } })
    gateway = await proxyGateway(
      store,
      {
        stripe: { baseUrl: sims.stripe.url, port: stripePort, ...credentials('STRIPE_KEY') },
        openai: { baseUrl: `${sims.openai.url}/v1`, ...credentials('OPENAI_KEY') },
        github: { baseUrl: sims.github.url, ...credentials('GITHUB_TOKEN') },
      },
      {
        STRIPE_KEY: sims.stripe.credentials.apiKey,
        OPENAI_KEY: sims.openai.credentials.apiKey,
        GITHUB_TOKEN: sims.github.credentials.token,
      },
    )
    url = await gateway.start(0, '127.0.0.1')
  })
  afterAll(async () => {
    await gateway?.stop()
    for (const sim of Object.values(sims)) await sim?.close()
  })

  /** Runs an example of docs/gateway.md as the user would, with the gateway's address and token. */
  const example = async (file: string) => {
    const command = file.endsWith('.py') ? python! : process.execPath
    const env = {
      ...process.env,
      SEAMLINE_URL: url,
      SEAMLINE_PROXY_TOKEN: proxyToken,
      SEAMLINE_STRIPE_PORT: String(stripePort),
    }
    const { stdout } = await run(command, [`${examples}${file}`], { env, timeout: 20_000 })
    return stdout.trim()
  }

  it('shows in docs/gateway.md each example it runs, as it is', () => {
    for (const file of ['stripe.mjs', 'stripe_client.py', 'openai.mjs', 'octokit.mjs']) {
      expect(docs, file).toContain(readFileSync(`${examples}${file}`, 'utf8').trim())
    }
  })

  it('stripe-node creates a customer through the Stripe port', async () => {
    expect(await example('stripe.mjs')).toMatch(/^cus_/)
  })

  it.skipIf(!python)('Python stripe creates a customer through api_base', async () => {
    expect(await example('stripe_client.py')).toMatch(/^cus_/)
  })

  it('openai-node completes a chat', async () => {
    expect(await example('openai.mjs')).not.toBe('')
  })

  it('Octokit reads the authenticated user', async () => {
    expect(await example('octokit.mjs')).toBe('octocat')
  })

  it("each SDK raises its own typed error, with the gateway's message, for a wrong token", async () => {
    const message = /proxy token/
    const stripe = new Stripe('sl_proxy_wrong', {
      host: '127.0.0.1',
      port: stripePort,
      protocol: 'http',
      maxNetworkRetries: 0,
    })
    const stripeError = await stripe.customers.list().catch((error: unknown) => error)
    expect(stripeError).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect((stripeError as Error).message).toMatch(message)

    const openai = new OpenAI({
      apiKey: 'sl_proxy_wrong',
      baseURL: `${url}/proxy/openai`,
      maxRetries: 0,
    })
    const openaiError = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error)
    expect(openaiError).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((openaiError as Error).message).toMatch(message)

    const octokit = new Octokit({ auth: 'sl_proxy_wrong', baseUrl: `${url}/proxy/github` })
    const octokitError = await octokit.rest.users
      .getAuthenticated()
      .catch((error: unknown) => error)
    expect(octokitError).toMatchObject({ status: 401 })
    expect((octokitError as Error).message).toMatch(message)
  })

  it.skipIf(!python)(
    "Python stripe raises AuthenticationError with the gateway's message",
    async () => {
      const script = [
        'import stripe',
        `stripe.api_key = "sl_proxy_wrong"`,
        `stripe.api_base = "${url}/proxy/stripe"`,
        'try:',
        '    stripe.Customer.list()',
        'except stripe.error.AuthenticationError as error:',
        '    print(type(error).__name__, error.user_message)',
      ].join('\n')
      const { stdout } = await run(python!, ['-c', script], { timeout: 20_000 })
      expect(stdout).toMatch(/^AuthenticationError .*proxy token/)
    },
  )
})
