import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/**
 * Gives the calling test file a path for a SQLite database in a fresh temporary directory, removed
 * (with the `-wal` and `-shm` files beside the database) after the file's tests.
 */
export function useTempSqliteFile(name = 'seamline.sqlite'): string {
  const dir = mkdtempSync(join(tmpdir(), 'seamline-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, name)
}
