import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Reads a `.sql` file of named statements, each introduced by a `-- name: <name>` line, so that
 * runtime code holds no SQL strings of its own.
 */
export function readQueries<Name extends string>(
  file: URL,
  names: readonly Name[],
): Record<Name, string> {
  const text = readFileSync(file, 'utf8')
  const found = new Map<string, string>()
  for (const section of text.split(/^-- name: */m).slice(1)) {
    const newline = section.indexOf('\n')
    const name = section.slice(0, newline).trim()
    found.set(name, section.slice(newline + 1).trim())
  }
  const missing = names.filter((name) => !found.has(name))
  if (missing.length > 0) {
    throw new Error(`${fileURLToPath(file)} lacks the statements ${missing.join(', ')}`)
  }
  return Object.fromEntries(names.map((name) => [name, found.get(name)])) as Record<Name, string>
}

export interface Migration {
  version: number
  name: string
  sql: string
}

/** The numbered migrations of a folder (`0001_init.sql`, …), checked to run 1, 2, 3… */
export function readMigrations(folder: URL): Migration[] {
  const migrations = readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file)
      if (!match) throw new Error(`migration file ${file} is not named NNNN_name.sql`)
      return {
        version: Number(match[1]),
        name: match[2] as string,
        sql: readFileSync(new URL(file, folder), 'utf8'),
      }
    })
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migrations must be numbered 1, 2, 3… without gaps (found ${migration.version})`,
      )
    }
  })
  return migrations
}
