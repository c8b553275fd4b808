import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { familyApp, fake, fakeJobs, testServices } from '../../../test/helpers/gateway-services.js'
import type { Store } from '../../stores/index.js'
import type { GatewaySecrets } from '../secrets.js'
import { egressRoutes } from './index.js'

const token = 'sl_proxy_family-test-token-0123456789'
// Nothing listens there: no test here reaches the provider.
const config = {
  providers: { stripe: { baseUrl: 'http://127.0.0.1:9/v1' } },
  proxy: { tokens: ['SEAMLINE_PROXY_TOKEN'] },
}
const secrets: GatewaySecrets = {
  sources: {},
  providers: {},
  callback: undefined,
  proxyTokens: [token],
  adminToken: undefined,
}
const auth = { authorization: `Bearer ${token}` }

describe('egress family', () => {
  let app: FastifyInstance | undefined
  afterEach(() => app?.close())

  it('registers nothing without providers', async () => {
    app = await familyApp(egressRoutes, testServices())
    expect((await app.inject('/proxy/stripe/v1/customers')).statusCode).toBe(404)
    expect((await app.inject('/operations/op_1')).statusCode).toBe(404)
  })

  it('refuses a call without the token, from a foreign page or host, or by TRACE, in the provider words', async () => {
    app = await familyApp(egressRoutes, testServices({ config, secrets }))
    const anonymous = await app.inject('/proxy/stripe/v1/customers')
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'proxy_token_required' },
    })
    const wrong = await app.inject({
      url: '/proxy/stripe/v1/customers',
      headers: { authorization: 'Bearer sk_test_x' },
    })
    expect(wrong.statusCode).toBe(401)
    const page = await app.inject({
      url: '/proxy/stripe/v1/customers',
      headers: { ...auth, origin: 'https://evil.example' },
    })
    expect(page.statusCode).toBe(403)
    const rebound = await app.inject({
      url: '/proxy/stripe/v1/customers',
      headers: { ...auth, host: 'attacker.example:8787' },
    })
    expect(rebound.statusCode).toBe(403)
    const trace = await app.inject({
      method: 'TRACE',
      url: '/proxy/stripe/v1/customers',
      headers: auth,
    })
    expect(trace.statusCode).toBe(405)
    // The token in Basic's user place (as SDKs of basic-auth providers send their key).
    const basic = `Basic ${Buffer.from(`${token}:`).toString('base64')}`
    const unknown = await app.inject({
      url: '/proxy/nowhere/user',
      headers: { authorization: basic },
    })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ error: 'unknown_provider' })
  })

  it('words a refusal as the provider named would, configured or not', async () => {
    app = await familyApp(egressRoutes, testServices({ config, secrets }))
    const github = await app.inject({ url: '/proxy/github/user', headers: auth })
    expect(github.statusCode).toBe(404)
    expect(github.json()).toMatchObject({
      message: expect.stringContaining('github') as unknown,
      status: '404',
    })
    // (inject resolves dot segments itself; the socket tests send those raw.)
    for (const path of ['/proxy/stripe//evil.example', '/proxy/stripe/v1%2f..%2fx']) {
      const escaped = await app.inject({ url: path, headers: auth })
      expect(escaped.statusCode, path).toBe(400)
      expect(escaped.json()).toMatchObject({ error: { code: 'bad_path' } })
    }
  })

  it("answers an operation by id to its own token only: 400 malformed, 404 another's", async () => {
    const asked: string[] = []
    const store = fake<Store>('store', {
      idempotency: { get: async (ref) => void asked.push(ref.key) },
    })
    app = await familyApp(egressRoutes, testServices({ store, config, secrets }))
    expect((await app.inject('/operations/op_1')).statusCode).toBe(401)
    expect(
      (await app.inject({ url: '/operations/has%20space', headers: auth })).json(),
    ).toMatchObject({
      error: 'bad_operation_id',
    })
    const unknown = await app.inject({ url: '/operations/op_never', headers: auth })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ error: 'unknown_operation' })
    // Looked up under the token's own name for the id.
    expect(asked).toEqual([expect.stringMatching(/^[0-9a-f]{16}:op_never$/)])
  })

  it("defines the async calls' jobs and their hourly prune, and shows each circuit closed", async () => {
    const { jobs, defined, scheduled } = fakeJobs()
    const services = testServices({ jobs, config, secrets })
    app = await familyApp(egressRoutes, services)
    expect([...defined.keys()].sort()).toEqual([
      'seamline:operations-prune',
      'seamline:proxy',
      'seamline:proxy-callback',
    ])
    expect(scheduled).toEqual(['seamline:operations-prune'])
    expect(await services.registry.metrics()).toContain(
      'seamline_circuit_state{provider="stripe"} 0',
    )
  })
})
