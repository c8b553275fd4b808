import type { Registry } from 'prom-client'
import { counter, gauge } from '../metrics.js'
import type { Upstream } from './upstream.js'

const circuitValue = { closed: 0, 'half-open': 1, open: 2 } as const

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
