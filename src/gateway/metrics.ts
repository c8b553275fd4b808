import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

/** The gateway's Prometheus metrics, on a registry of its own (several gateways per process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry
}

/**
 * A registry with the process's own metrics (prefixed `seamline_process_`). Each route
 * family adds the metrics it counts. Labels carry names, statuses and error codes only, never a
 * secret or an event id (unbounded label values would grow the registry without end).
 */
export function createRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'seamline_process_' })
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
