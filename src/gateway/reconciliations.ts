import { SeamlineError, isSeamlineError } from '../errors/index.js'
import type { Jobs } from '../jobs/index.js'
import {
  loadReconcileModule,
  parseInterval,
  storeReports,
  type ReconcileModule,
} from '../reconcile/index.js'
import type { Store } from '../stores/index.js'
import type { GatewayConfig } from './config-schema.js'

const interval = /^\d+(ms|s|m|h|d)$/

function invalid(target: string, reason: string, cause?: unknown): SeamlineError {
  return new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
    operation: 'createGateway',
    target,
    reason,
    ...(cause !== undefined && { cause }),
  })
}

/**
 * Schedules each of `reconciliations` as a durable job of the gateway (one run per slot across
 * every gateway process), its reports kept in the gateway's store, where the admin API, the
 * dashboard and `seamline_reconcile_drift_ratio` read them. Returns what closes the modules.
 */
export async function scheduleReconciliations(
  config: GatewayConfig,
  jobs: Jobs,
  store: Store,
): Promise<{ close(): Promise<void> }> {
  const modules = new Map<string, ReconcileModule>()
  const reports = storeReports(store)
  for (const [i, entry] of config.reconciliations.entries()) {
    let loaded = modules.get(entry.module)
    if (!loaded) {
      try {
        loaded = await loadReconcileModule(entry.module)
      } catch (error) {
        if (!isSeamlineError(error)) throw error
        throw invalid(`reconciliations[${i}].module`, `is refused (${error.message})`, error)
      }
      modules.set(entry.module, loaded)
    }
    const { reconcile } = loaded
    if (!reconcile.names().includes(entry.name)) {
      throw invalid(
        `reconciliations[${i}].name`,
        `is "${entry.name}", which ${entry.module} does not define (it defines: ${reconcile.names().join(', ') || 'nothing'})`,
      )
    }
    const job = `seamline:reconcile:${entry.name}`
    jobs.define(job, async (_payload: unknown, ctx) => {
      await reconcile.run(entry.name, { signal: ctx.signal, reports })
    })
    try {
      jobs.schedule(job, {
        job,
        ...(interval.test(entry.every)
          ? { everyMs: parseInterval(entry.every, 'every') }
          : { cron: entry.every }),
        // A run that outlasts its interval is not joined by the next one.
        options: { key: job },
      })
    } catch (error) {
      if (!isSeamlineError(error)) throw error
      throw invalid(`reconciliations[${i}].every`, `is refused (${error.message})`, error)
    }
  }
  return {
    async close() {
      for (const { close } of modules.values()) await close?.()
    },
  }
}
