import Fastify, { type FastifyInstance } from 'fastify'
import { createRedactor } from '../../src/credentials/index.js'
import { createEmitter } from '../../src/events/index.js'
import { parseConfig, type GatewayConfigInput } from '../../src/gateway/index.js'
import { createAuthThrottle } from '../../src/gateway/auth-throttle.js'
import { createLimits } from '../../src/gateway/limits.js'
import { createRegistry } from '../../src/gateway/metrics.js'
import { errorHandler } from '../../src/gateway/refusals.js'
import { decorateServices, type GatewayServices } from '../../src/gateway/services.js'
import type { JobEvents, Jobs } from '../../src/jobs/index.js'
import type { Store } from '../../src/stores/index.js'
import { FakeClock } from '../../src/time/index.js'
import type { WebhookInbox, WebhookInboxEvents } from '../../src/webhooks/index.js'

type Fakeable<T> = {
  [K in keyof T]?: T[K] extends (...args: never[]) => unknown ? T[K] : Fakeable<T[K]>
}

/**
 * An object with only the parts a test gives; reaching any other part throws, naming it, so a
 * family test says exactly what of the services it uses.
 */
export function fake<T extends object>(name: string, given: Fakeable<T> = {}): T {
  return new Proxy(given as T, {
    get(target, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined
      if (!(key in target)) throw new Error(`${name}.${key} is not part of this test's services`)
      const value = (target as Record<string, unknown>)[key]
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
      return fake<object>(`${name}.${key}`, value)
    },
  })
}

/** Jobs that record what a family defines and schedules, and emit what a test says. */
export function fakeJobs() {
  const events = createEmitter<JobEvents>()
  const defined = new Map<string, unknown>()
  const scheduled: string[] = []
  const jobs = fake<Jobs>('jobs', {
    events,
    define: (name: string, handler: unknown) => void defined.set(name, handler),
    schedule: (name: string) => void scheduled.push(name),
  })
  return { jobs, events, defined, scheduled }
}

/** An inbox that answers every delivery 200 and keeps what it was given. */
export function fakeInbox() {
  const events = createEmitter<WebhookInboxEvents>()
  const handlers = new Map<string, unknown>()
  const received: { source: string; body: string }[] = []
  const inbox: WebhookInbox = {
    events,
    async receive(request) {
      const chunks: Uint8Array[] = []
      const body = request.body
      if (typeof body === 'string') chunks.push(Buffer.from(body))
      else for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
      received.push({ source: request.source, body: Buffer.concat(chunks).toString('utf8') })
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
    },
    on: (source, handler) => void handlers.set(source, handler),
    prune: () => Promise.resolve(0),
  }
  return { inbox, events, handlers, received }
}

/**
 * Services for one family's test: no credentials, no Redis, no migrations. The store and
 * anything else a test needs are given; the rest is a fake that throws when reached.
 */
export function testServices(
  given: Partial<Omit<GatewayServices, 'config'>> & {
    config?: GatewayConfigInput
    store?: Store
  } = {},
): GatewayServices {
  const clock = given.clock ?? new FakeClock({ now: Date.parse('2026-01-01T00:00:00Z') })
  const registry = given.registry ?? createRegistry()
  const { config, ...rest } = given
  return {
    env: {},
    clock,
    redactor: createRedactor(),
    secrets: {
      sources: {},
      providers: {},
      callback: undefined,
      proxyTokens: [],
      adminToken: given.adminToken,
    },
    store: fake<Store>('store'),
    jobs: fakeJobs().jobs,
    inbox: fakeInbox().inbox,
    connections: undefined,
    limits: createLimits(registry, clock, undefined),
    redis: undefined,
    adminToken: undefined,
    authThrottle: createAuthThrottle({ clock, registry }),
    typeOf: () => 'unknown',
    ...rest,
    registry,
    config: parseConfig({ store: ':memory:', ...config }),
  }
}

/** A bare Fastify with the services decorated and the gateway's error handler, one family on it. */
export async function familyApp<O>(
  plugin: (app: FastifyInstance, options: O) => Promise<void>,
  services: GatewayServices,
  options?: O & { prefix?: string },
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  decorateServices(app, services)
  app.setErrorHandler(errorHandler(services.redactor))
  // As the gateway registers a family: a throw while registering fails the start.
  const family = async (scope: FastifyInstance, opts: O) => {
    await plugin(scope, opts)
  }
  await app.register(family as never, (options ?? {}) as never)
  await app.ready()
  return app
}
