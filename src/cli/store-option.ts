import { InvalidArgumentError, type Command } from 'commander'
import { isSeamlineError } from '../errors/index.js'

export interface StoreFlags {
  store: string
}

/** `--store <url>`: a SQLite path or a `postgres://` URL; `SEAMLINE_STORE` or `seamline.sqlite` by default. */
export function storeOption(command: Command): Command {
  return command.option(
    '--store <url>',
    'SQLite file or postgres:// URL (default: $SEAMLINE_STORE or seamline.sqlite)',
    process.env.SEAMLINE_STORE ?? 'seamline.sqlite',
  )
}

/**
 * Runs a command's work and turns a failure into one line on stderr and an exit code: 2 for
 * input that cannot be accepted, 1 for anything else that went wrong.
 */
export async function runCommand(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    const invalid =
      error instanceof InvalidArgumentError ||
      (isSeamlineError(error) && error.code === 'SEAM_ERR_INVALID_ARGUMENT')
    if (!invalid && !isSeamlineError(error)) throw error
    console.error(`seamline ${name}: ${error.message}`)
    process.exitCode = invalid ? 2 : 1
  }
}
