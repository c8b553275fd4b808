import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { SeamlineError } from '../errors/index.js'
import { CsvError, CsvParser } from './csv.js'
import { defineSource, type Source, type SourceRecord } from './source.js'

export interface FileSourceOptions {
  /** Names the source in reports; default the file's name. */
  name?: string
  /** Say so when the file is sorted by key (the merge engine then needs no table). */
  ordered?: boolean
  /** Read size; each chunk's lines are parsed together. Default 1 MiB. */
  chunkBytes?: number
}

/** What a worker thread needs to read a JSON-lines source's chunks (see worker-entries.ts). */
export interface FileRecipe {
  path: string
  chunkBytes: number
}

const recipes = new WeakMap<object, FileRecipe>()

/** The recipe a JSON-lines source was made from; undefined for any other source. */
export const fileRecipeOf = (source: object): FileRecipe | undefined => recipes.get(source)

/** The size of a JSON-lines source's file; 0 for any other source, or a file that cannot be read (the reading reports that). */
export async function fileBytesOf(source: object): Promise<number> {
  const recipe = recipes.get(source)
  if (!recipe) return 0
  return stat(recipe.path).then(
    (s) => s.size,
    () => 0,
  )
}

const sourceError = (path: string, reason: string, cause?: unknown) =>
  new SeamlineError('SEAM_ERR_RECONCILE_SOURCE', {
    operation: 'read',
    target: path,
    reason,
    ...(cause !== undefined && { cause }),
  })

/** Why a line of a JSON-lines file is not a record; the reader adds the line number. */
export class JsonLineProblem extends Error {
  override readonly name = 'JsonLineProblem'
}

/** One line's record, or undefined for a blank line; throws `JsonLineProblem` otherwise. */
export function jsonLineRecord(text: string): SourceRecord | undefined {
  // Blank lines are skipped; a line that starts with `{` cannot be blank.
  if (text.charCodeAt(0) !== 123 && text.trim().length === 0) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new JsonLineProblem('that is not JSON', { cause: error })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new JsonLineProblem('that is not a JSON object')
  return value as SourceRecord
}

/** The error for line `line` (1-based) of a JSON-lines file. */
export const jsonLineError = (path: string, line: number, problem: JsonLineProblem) =>
  sourceError(path, `has a line ${line} ${problem.message}`, problem.cause)

/** A file that cannot be read, named by the system's error code. */
export function unreadable(path: string, error: unknown): SeamlineError {
  const code = (error as { code?: unknown }).code
  return sourceError(
    path,
    `cannot be read (${typeof code === 'string' ? code : String(error)})`,
    error,
  )
}

async function* chunks(path: string, chunkBytes: number, signal?: AbortSignal) {
  try {
    for await (const chunk of createReadStream(path, {
      encoding: 'utf8',
      highWaterMark: chunkBytes,
      ...(signal && { signal }),
    })) {
      yield chunk as string
    }
  } catch (error) {
    if (signal?.aborted) throw error
    throw unreadable(path, error)
  }
}

/** A file of JSON objects, one per line (blank lines skipped), read in chunks. */
export function jsonLinesSource(path: string, options: FileSourceOptions = {}): Source {
  const chunkBytes = options.chunkBytes ?? 1 << 20
  const source = defineSource({
    name: options.name ?? basename(path),
    ordered: options.ordered ?? false,
    async *batches({ signal }) {
      let rest = ''
      let line = 0
      const parse = (text: string, records: SourceRecord[]) => {
        line++
        let record: SourceRecord | undefined
        try {
          record = jsonLineRecord(text)
        } catch (error) {
          if (error instanceof JsonLineProblem) throw jsonLineError(path, line, error)
          throw error
        }
        if (record) records.push(record)
      }
      for await (const chunk of chunks(path, chunkBytes, signal)) {
        const records: SourceRecord[] = []
        let start = 0
        const text = rest + chunk
        for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
          parse(text.slice(start, end), records)
          start = end + 1
        }
        rest = text.slice(start)
        if (records.length > 0) yield records
      }
      if (rest.length > 0) {
        const records: SourceRecord[] = []
        parse(rest, records)
        if (records.length > 0) yield records
      }
    },
  })
  recipes.set(source, { path, chunkBytes })
  return source
}

export interface CsvSourceOptions extends FileSourceOptions {
  delimiter?: string
  /** What an empty field means: `null` (the default; CSV cannot say null otherwise) or an empty string. */
  empty?: 'null' | 'string'
}

/** A CSV file with a header row; each row becomes a record of the header's names (values are text). */
export function csvSource(path: string, options: CsvSourceOptions = {}): Source {
  const chunkBytes = options.chunkBytes ?? 1 << 20
  const emptyIsNull = (options.empty ?? 'null') === 'null'
  return defineSource({
    name: options.name ?? basename(path),
    ordered: options.ordered ?? false,
    async *batches({ signal }) {
      const parser = new CsvParser(options.delimiter)
      let header: string[] | undefined
      const toRecords = (rows: string[][], firstLine: number): SourceRecord[] => {
        const records: SourceRecord[] = []
        for (const row of rows) {
          if (!header) {
            header = row
            continue
          }
          if (row.length !== header.length)
            throw sourceError(
              path,
              `has a row near line ${firstLine} with ${row.length} fields where the header has ${header.length}`,
            )
          const record: SourceRecord = {}
          for (let i = 0; i < header.length; i++) {
            const value = row[i]!
            record[header[i]!] = value === '' && emptyIsNull ? null : value
          }
          records.push(record)
        }
        return records
      }
      const parse = (work: (rows: string[][]) => void): SourceRecord[] => {
        const line = parser.line
        const rows: string[][] = []
        try {
          work(rows)
        } catch (error) {
          if (error instanceof CsvError)
            throw sourceError(path, `is not valid CSV: ${error.message}`, error)
          throw error
        }
        return toRecords(rows, line)
      }
      for await (const chunk of chunks(path, chunkBytes, signal)) {
        const records = parse((rows) => parser.push(chunk, rows))
        if (records.length > 0) yield records
      }
      const records = parse((rows) => parser.end(rows))
      if (records.length > 0) yield records
    },
  })
}
