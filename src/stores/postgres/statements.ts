import pg from 'pg'
import { readQueries } from '../sql-files.js'

/** A prepared statement: the `$n` text PostgreSQL takes, and the named parameter of each `$n`. */
export interface PgStatement {
  /** The prepared statement's name on every connection that runs it. */
  readonly name: string
  readonly text: string
  readonly params: readonly string[]
  /** The text with its `:name` placeholders, for `inline`. */
  readonly sql: string
}

/** A pool, a pooled client or a client: anything that runs a query. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>
}

export type Row = Record<string, unknown>

// What `:name` may not be read inside, each matched whole (its first character comes first): a
// string, a quoted identifier, a comment, a `::` cast, a dollar-quoted body; then a placeholder.
const tokens =
  /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|::|\$(\w*)\$[\s\S]*?\$\1\$|:([A-Za-z_]\w*)/g

/**
 * Rewrites `:name` placeholders to `$1…$n` (a name used twice is one parameter), leaving
 * `::type` casts, quoted strings and identifiers, comments and dollar quotes alone.
 */
export function toPositional(sql: string): { text: string; params: string[] } {
  const params: string[] = []
  const text = sql.replace(tokens, (token, _tag, name: string | undefined) => {
    if (name === undefined) return token
    const index = params.includes(name) ? params.indexOf(name) : params.push(name) - 1
    return `$${index + 1}`
  })
  return { text, params }
}

/** Reads named statements from a `.sql` file (see `readQueries`) and makes them positional. */
export function readStatements<Name extends string>(
  file: URL,
  names: readonly Name[],
  prefix: string,
): Record<Name, PgStatement> {
  const sql = readQueries(file, names)
  const entries = names.map((name) => [
    name,
    { name: `${prefix}_${name}`, sql: sql[name], ...toPositional(sql[name]) },
  ])
  return Object.fromEntries(entries) as Record<Name, PgStatement>
}

/** A value as an SQL literal; each placeholder is cast in the text, so the literal is untyped. */
function literal(value: unknown, statement: PgStatement, param: string): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') return pg.escapeLiteral(value)
  if (typeof value === 'number' && Number.isFinite(value)) return `'${value}'`
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    const items = value.map((item) => `"${item.replace(/["\\]/g, '\\$&')}"`)
    return pg.escapeLiteral(`{${items.join(',')}}`)
  }
  throw new Error(`statement ${statement.name} cannot inline :${param}`)
}

/**
 * The statement's text with its values written in as literals, for a script of several
 * statements sent at once (a script takes no parameters). Strings are escaped as `pg` does.
 */
export function inline(statement: PgStatement, values: Record<string, unknown>): string {
  return statement.sql.replace(tokens, (token, _tag, name: string | undefined) => {
    if (name === undefined) return token
    const value = values[name]
    if (value === undefined) throw new Error(`statement ${statement.name} needs :${name}`)
    return literal(value, statement, name)
  })
}

/** Runs a statement with its named values; a value left out is a mistake, so it throws. */
export async function run(
  db: Queryable,
  statement: PgStatement,
  values: Record<string, unknown> = {},
): Promise<pg.QueryResult<Row>> {
  const positional = statement.params.map((param) => {
    const value = values[param]
    if (value === undefined) throw new Error(`statement ${statement.name} needs :${param}`)
    return value
  })
  return (await db.query({
    name: statement.name,
    text: statement.text,
    values: positional,
  })) as pg.QueryResult<Row>
}

/** The rows a statement returns. */
export async function rows(
  db: Queryable,
  statement: PgStatement,
  values?: Record<string, unknown>,
): Promise<Row[]> {
  return (await run(db, statement, values)).rows
}

/** How many rows a statement wrote. */
export async function changes(
  db: Queryable,
  statement: PgStatement,
  values?: Record<string, unknown>,
): Promise<number> {
  return (await run(db, statement, values)).rowCount ?? 0
}
