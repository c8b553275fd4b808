import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { familyApp, fake, fakeJobs, testServices } from '../../../test/helpers/gateway-services.js'
import { SeamlineError } from '../../errors/index.js'
import type { DeadLetters, Jobs } from '../../jobs/index.js'
import type { Store } from '../../stores/index.js'
import { adminRoutes } from './index.js'

const token = 'sl_admin_family-test-token'
const auth = { authorization: `Bearer ${token}` }

describe('admin family', () => {
  let app: FastifyInstance | undefined
  afterEach(() => app?.close())

  it('answers 503 on every route without an admin token, naming the variable', async () => {
    app = await familyApp(adminRoutes, testServices(), { prefix: '/api' })
    const answer = await app.inject('/api/jobs')
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toMatchObject({ error: 'admin_api_off' })
    expect(answer.json<{ message: string }>().message).toContain('SEAMLINE_ADMIN_TOKEN')
  })

  it('refuses a request without the token, and serves one with it', async () => {
    const store = fake<Store>('store', { jobs: { get: async () => undefined } })
    app = await familyApp(adminRoutes, testServices({ store, adminToken: token }), {
      prefix: '/api',
    })
    const refused = await app.inject('/api/jobs/7')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="seamline"')
    const missing = await app.inject({ url: '/api/jobs/7', headers: auth })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ error: 'not_found', message: 'no such job' })
  })

  it('answers errors through the one table: a bad query 400, an unknown dead letter 404', async () => {
    const { jobs: base } = fakeJobs()
    const deadLetters = fake<DeadLetters>('deadLetters', {
      replay: async (id: string) => {
        throw new SeamlineError('SEAM_ERR_JOB_NOT_FOUND', {
          operation: 'replay',
          target: `job ${id}`,
          reason: 'is not a dead letter',
        })
      },
    })
    const jobs = fake<Jobs>('jobs', { events: base.events, deadLetters })
    app = await familyApp(adminRoutes, testServices({ jobs, adminToken: token }), {
      prefix: '/api',
    })
    const bad = await app.inject({ url: '/api/jobs?limit=0&state=lost', headers: auth })
    expect(bad.statusCode).toBe(400)
    expect(bad.json<{ problems: string[] }>().problems).toHaveLength(2)
    const bulk = await app.inject({
      method: 'POST',
      url: '/api/dead-letters/replay',
      headers: auth,
      payload: {},
    })
    expect(bulk.statusCode).toBe(400)
    const replay = await app.inject({
      method: 'POST',
      url: '/api/dead-letters/9/replay',
      headers: auth,
      payload: {},
    })
    expect(replay.statusCode).toBe(404)
    expect(replay.json()).toMatchObject({ error: 'SEAM_ERR_JOB_NOT_FOUND' })
  })
})
