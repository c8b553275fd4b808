// @ts-check
// tsc copies no .sql files; the stores read theirs beside the compiled code.
import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** @param {string} dir */
function copy(dir) {
  for (const entry of readdirSync(join('src', dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) copy(path)
    else if (entry.name.endsWith('.sql')) cpSync(join('src', path), join('dist', path))
  }
}
copy('')
