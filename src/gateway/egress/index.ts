import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorHandler, refuse } from '../refusals.js'
import { servicesOf } from '../services.js'
import { guardProxy } from './access.js'
import { asyncCalls, operationRoute } from './async-calls.js'
import { asyncRetryOf, defineAsyncJobs } from './async-jobs.js'
import { prepareCall } from './call.js'
import { observeUpstream, timeCalls } from './observe.js'
import { prefersRespondAsync } from './prefer.js'
import { providerPorts } from './provider-ports.js'
import { relay } from './relay.js'
import { createUpstream } from './upstream.js'

// Largest request body passed on, and largest answer kept as an async call's result.
const maxBodyBytes = 10 * 1024 * 1024

/**
 * The egress proxy, `/proxy/:provider/*`: the app calls a provider through the gateway without
 * holding its credentials, with a proxy token instead. With `Prefer: respond-async` the call
 * becomes a durable job whose outcome `GET /operations/:id` gives (or a signed callback
 * posts). Off without providers.
 */
export function egressRoutes(app: FastifyInstance): Promise<void> {
  const services = servicesOf(app)
  const { config, secrets, store, jobs, clock, redactor, connections, limits } = services
  const { providers, proxy: settings } = config
  if (Object.keys(providers).length === 0) return Promise.resolve()
  const credentials = secrets.providers
  const upstream = createUpstream({ providers, credentials, connections, limits, clock })
  observeUpstream(services.registry, upstream)
  timeCalls(app, services.registry, upstream)
  const presetOf = (request: FastifyRequest) => {
    const { provider } = request.params as { provider?: string }
    return provider === undefined ? undefined : upstream.preset(provider)
  }
  const callerOf = guardProxy(app, {
    tokens: secrets.proxyTokens,
    allowUnauthenticated: settings.allowUnauthenticated,
    allowedOrigins: settings.allowedOrigins,
    hostnames: config.server.hostnames,
    presetOf,
  })
  // What escapes a proxy route is refused in the provider's words, like every other refusal.
  app.setErrorHandler(errorHandler(redactor, (request) => presetOf(request)?.errorBody))
  const retry = asyncRetryOf(settings)
  const callbackOrigins = new Set(settings.callbackOrigins)
  const accept = asyncCalls({ store, jobs, clock, redactor, retry, callbackOrigins })

  // Bodies pass through as bytes; they are kept whole so a retry can send them again.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_r, body, done) =>
    done(null, body),
  )
  app.all('/proxy/:provider/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const wording = presetOf(request)?.errorBody
    const call = prepareCall(request, upstream.bases, connections, callerOf(request))
    if ('error' in call) return refuse(reply, call, wording)
    if (prefersRespondAsync(request.headers.prefer)) return accept(request, reply, call, wording)
    return relay(reply, call, { upstream, redactor, wording })
  })
  app.get('/operations/:id', operationRoute(store, redactor, callerOf))
  const ports = Object.entries(providers).flatMap(([name, { port }]) =>
    port === undefined ? [] : [[name, port] as const],
  )
  providerPorts(app, new Map(ports))

  defineAsyncJobs({
    store,
    jobs,
    upstream,
    clock,
    redactor,
    retry,
    callbacks: { origins: callbackOrigins, secret: secrets.callback, timeoutMs: 10_000 },
    maxResultBytes: maxBodyBytes,
    retentionMs: settings.retentionMs,
  })
  return Promise.resolve()
}
