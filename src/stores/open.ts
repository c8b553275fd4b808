import { existsSync } from 'node:fs'
import { SeamlineError } from '../errors/index.js'
import type { Store } from './store.js'
import { postgresStore } from './postgres/store.js'
import { sqliteStore } from './sqlite/store.js'

export interface OpenStoreOptions {
  /** Refuse a SQLite file that does not exist yet, instead of creating it. */
  mustExist?: boolean
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean
}

/**
 * Opens a store from a URL: `postgres://…` (or `postgresql://…`) for PostgreSQL, anything else
 * a SQLite file path (an optional `sqlite:` prefix is dropped).
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return await postgresStore({
      url,
      ...(options.migrate !== undefined && { migrate: options.migrate }),
    })
  }
  const path = url.replace(/^sqlite:/, '')
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'open store',
      target: path,
      reason: 'does not exist; pass the store Seamline runs on (--store or SEAMLINE_STORE)',
    })
  }
  return sqliteStore({ path, ...(options.migrate !== undefined && { migrate: options.migrate }) })
}
