import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { counter, gauge, latency } from '../metrics.js'
import type { Upstream } from './upstream.js'

const circuitValue = { closed: 0, 'half-open': 1, open: 2 } as const

/**
 * Each proxied call, timed from its first byte to the end of the answer, by provider and status
 * (retries and quota waits included). A provider not configured is not counted: its name is
 * anyone's to choose.
 */
export function timeCalls(app: FastifyInstance, registry: Registry, upstream: Upstream): void {
  const seconds = latency(
    registry,
    'seamline_proxy_call_seconds',
    'Time to answer a proxied call, retries and quota waits included, by provider and status.',
    ['provider', 'status'],
  )
  // A callback, not an async hook: no promise per call on the proxy's path.
  app.addHook('onResponse', (request, reply, done) => {
    const { provider } = request.params as { provider?: string }
    if (provider !== undefined && upstream.clients.has(provider))
      seconds.observe({ provider, status: String(reply.statusCode) }, reply.elapsedTime / 1_000)
    done()
  })
}

/** Counts each provider's attempts and retries, and shows its circuit breaker's state. */
export function observeUpstream(registry: Registry, upstream: Upstream): void {
  const attempts = counter(
    registry,
    'seamline_upstream_attempts_total',
    "Proxied call attempts to providers, by the provider's status (`none` without an answer; 429s included).",
    ['provider', 'status'],
  )
  const retries = counter(
    registry,
    'seamline_upstream_retries_total',
    'Proxied call attempts that failed and were retried.',
    ['provider'],
  )
  const circuit = gauge(
    registry,
    'seamline_circuit_state',
    "Each provider's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ['provider'],
  )
  for (const [provider, { client, breaker }] of upstream.clients) {
    client.events.on('http:attempt', ({ status }) =>
      attempts.inc({ provider, status: status === undefined ? 'none' : String(status) }),
    )
    client.events.on('http:retry', () => retries.inc({ provider }))
    circuit.set({ provider }, 0)
    breaker.events.on('circuit:state', ({ to }) => circuit.set({ provider }, circuitValue[to]))
  }
}
