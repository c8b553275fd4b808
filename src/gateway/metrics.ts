import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The gateway's Prometheus metrics, on a registry of its own (several gateways per process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry
}

/**
 * A registry with the process's own metrics (`seamline_process_*`, `seamline_nodejs_*`). Each route
 * family adds the metrics it counts. Labels carry names, statuses and error codes only, never a
 * secret or an event id (unbounded label values would grow the registry without end).
 */
export function createRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'seamline_' })
  return registry
}

export const counter = <L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
) => new Counter<L>({ name, help, labelNames, registers: [registry] })

export const gauge = <L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  collect?: (this: Gauge<L>) => Promise<void>,
) => new Gauge<L>({ name, help, labelNames, registers: [registry], ...(collect && { collect }) })

// From a millisecond to ten seconds: an ack, a delivery or a proxied call, fast or timing out.
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** A latency histogram, in seconds. */
export const latency = <L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
) => new Histogram<L>({ name, help, labelNames, buckets: latencyBuckets, registers: [registry] })
