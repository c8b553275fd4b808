import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Redactor } from '../credentials/index.js'
import { isSeamlineError, SeamlineError } from '../errors/index.js'
import { openStore, type Store } from '../stores/index.js'

const isPostgres = (url: string): boolean => /^postgres(ql)?:\/\//.test(url)

/**
 * The configured store, opened; or why not, in one line naming `store`: a SQLite file whose
 * directory does not exist is a configuration mistake, a database that does not answer a
 * failure of the moment (`SEAM_ERR_NETWORK`).
 */
export async function openGatewayStore(url: string, redactor: Redactor): Promise<Store> {
  const shown = redactor.redact(url)
  if (!isPostgres(url) && url !== ':memory:') {
    const directory = dirname(resolve(url.replace(/^sqlite:/, '')))
    if (!existsSync(directory)) {
      throw new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
        operation: 'createGateway',
        target: `store (${shown})`,
        reason: `is in a directory that does not exist (${directory}): create it, or point store elsewhere`,
      })
    }
  }
  try {
    return await openStore(url)
  } catch (error) {
    if (isSeamlineError(error)) throw error
    const code = (error as { code?: unknown } | null)?.code
    const why = `${typeof code === 'string' ? `${code}: ` : ''}${redactor.redact((error as Error).message)}`
    throw new SeamlineError(isPostgres(url) ? 'SEAM_ERR_NETWORK' : 'SEAM_ERR_CONFIG_INVALID', {
      operation: 'createGateway',
      target: `store (${shown})`,
      reason: isPostgres(url) ? `does not answer (${why})` : `cannot be opened (${why})`,
      cause: error,
    })
  }
}
