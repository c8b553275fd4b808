import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { refuse } from '../refusals.js'
import { servicesOf } from '../services.js'
import { asyncCalls, operationRoute } from './async-calls.js'
import {
  asyncCallJobs,
  asyncRetryOf,
  proxyCallbackJob,
  proxyCallJob,
  type ProxyCallbackPayload,
  type ProxyCallPayload,
} from './async-jobs.js'
import { prepareCall } from './call.js'
import { observeUpstream } from './observe.js'
import { prefersRespondAsync } from './prefer.js'
import { relay } from './relay.js'
import { createUpstream } from './upstream.js'

const pruneJob = 'seamline:operations-prune'
// Largest request body passed on, and largest answer kept as an async call's result.
const maxBodyBytes = 10 * 1024 * 1024

/**
 * The egress proxy, `/proxy/:provider/*`: the app calls a provider through the gateway without
 * holding its credentials. With `Prefer: respond-async` the call becomes a durable job whose
 * outcome `GET /operations/:id` gives (or a signed callback posts). Off without providers.
 */
export function egressRoutes(app: FastifyInstance): Promise<void> {
  const services = servicesOf(app)
  const { config, secrets, store, jobs, clock, redactor, connections, limits } = services
  if (Object.keys(config.providers).length === 0) return Promise.resolve()
  const upstream = createUpstream({
    providers: config.providers,
    credentials: secrets.providers,
    connections,
    limits,
    clock,
  })
  observeUpstream(services.registry, upstream)
  const settings = config.proxy
  const retry = asyncRetryOf(settings)
  const callbackOrigins = new Set(settings.callbackOrigins)
  const accept = asyncCalls({ store, jobs, clock, redactor, retry, callbackOrigins })

  // Bodies pass through as bytes; they are kept whole so a retry can send them again.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_r, body, done) =>
    done(null, body),
  )
  app.all('/proxy/:provider/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const call = prepareCall(request, upstream.bases, connections)
    if ('error' in call) return refuse(reply, call)
    if (prefersRespondAsync(request.headers.prefer)) return accept(request, reply, call)
    return relay(request, reply, call, { upstream, redactor })
  })
  app.get('/operations/:id', operationRoute(store, redactor))

  const { callHandler, callbackHandler } = asyncCallJobs({
    store,
    jobs,
    upstream,
    clock,
    redactor,
    retry,
    callbacks: { origins: callbackOrigins, secret: secrets.callback, timeoutMs: 10_000 },
    maxResultBytes: maxBodyBytes,
  })
  // Payloads are what `accept` and the call job enqueued, under names no app job uses.
  jobs.define(proxyCallJob, (payload, ctx) => callHandler(payload as ProxyCallPayload, ctx))
  jobs.define(proxyCallbackJob, (payload, ctx) =>
    callbackHandler(payload as ProxyCallbackPayload, ctx),
  )
  // Outcomes are forgotten past their retention, hourly, once however many processes run.
  jobs.define(pruneJob, () => store.idempotency.prune(clock.now() - settings.retentionMs))
  jobs.schedule(pruneJob, { everyMs: 3_600_000, job: pruneJob, missed: 'skip' })
  return Promise.resolve()
}
