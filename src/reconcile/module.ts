import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SeamlineError } from '../errors/index.js'
import type { Reconcile } from './reconcile.js'

/** An app's reconcilers, as a module defines them for the CLI and the gateway. */
export interface ReconcileModule {
  reconcile: Reconcile
  /** The module's own `close()`, when it exports one (its connections, its store). */
  close: (() => unknown) | undefined
}

function refused(file: string, reason: string, cause?: unknown): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'load reconcilers',
    target: `module ${file}`,
    reason,
    ...(cause !== undefined && { cause }),
  })
}

/**
 * Imports the module (a path from the working directory) whose default export is the
 * `createReconcile()` it defined its reconcilers on, and which may export `close()`.
 */
export async function loadReconcileModule(file: string): Promise<ReconcileModule> {
  let loaded: { default?: unknown; close?: unknown }
  try {
    loaded = (await import(pathToFileURL(resolve(file)).href)) as typeof loaded
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw refused(file, `cannot be imported (${reason})`, error)
  }
  const candidate = loaded.default as Partial<Reconcile> | undefined
  if (typeof candidate?.run !== 'function' || typeof candidate.names !== 'function') {
    throw refused(file, 'must export default the object createReconcile() returned')
  }
  const close = loaded.close
  return {
    reconcile: candidate as Reconcile,
    close: typeof close === 'function' ? () => (close as () => unknown)() : undefined,
  }
}
