// RFC 4180 CSV, streamed: quoted fields may hold delimiters, "" for a quote, and line breaks.

const QUOTE = 34
const LF = 10
const CR = 13

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: a second quote, or the field's end. */
  QuoteInQuoted,
}

/** A CSV syntax error; `line` is 1-based. */
export class CsvError extends Error {
  override readonly name = 'CsvError'
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

/**
 * Parses CSV text fed in chunks of any size (a chunk may end anywhere, even between CR and LF
 * or inside a quoted field) into rows of fields. Lines ending in LF, CRLF or CR are all read;
 * empty lines are skipped.
 */
export class CsvParser {
  private state = State.FieldStart
  private field = ''
  private row: string[] = []
  private skipLf = false
  private quoted = false
  /** The line the parser is on, for errors. */
  line = 1
  private readonly delimiter: number

  constructor(delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
      throw new RangeError(`the delimiter must be one character other than a quote or line break`)
    this.delimiter = delimiter.charCodeAt(0)
  }

  /** Parses a chunk; the rows it completes are pushed to `rows`. */
  push(text: string, rows: string[][]): void {
    const delimiter = this.delimiter
    const n = text.length
    let i = 0
    if (this.skipLf && n > 0) {
      this.skipLf = false
      if (text.charCodeAt(0) === LF) i = 1
    }
    let start = i
    let state = this.state
    while (i < n) {
      const c = text.charCodeAt(i)
      if (state === State.Quoted) {
        if (c === QUOTE) {
          this.field += text.slice(start, i)
          state = State.QuoteInQuoted
        } else if (c === LF) this.line++
        i++
        continue
      }
      if (state === State.FieldStart) {
        if (c === QUOTE) {
          state = State.Quoted
          this.quoted = true
          start = ++i
          continue
        }
        state = State.Unquoted
        start = i
      }
      if (state === State.QuoteInQuoted) {
        if (c === QUOTE) {
          this.field += '"'
          state = State.Quoted
          start = ++i
          continue
        }
        if (c !== delimiter && c !== LF && c !== CR)
          throw new CsvError(
            this.line,
            'a closing quote must be followed by a delimiter or a line end',
          )
        start = i
      }
      // Unquoted, or just after a closing quote: a delimiter or a line end ends the field.
      if (c === delimiter) {
        this.endField(state === State.Unquoted ? text.slice(start, i) : '')
        state = State.FieldStart
        i++
      } else if (c === LF || c === CR) {
        this.endField(state === State.Unquoted ? text.slice(start, i) : '')
        this.endRow(rows)
        state = State.FieldStart
        i++
        if (c === CR) {
          if (i < n) {
            if (text.charCodeAt(i) === LF) i++
          } else this.skipLf = true
        }
      } else i++
    }
    if (state === State.Unquoted || state === State.Quoted) this.field += text.slice(start, n)
    this.state = state
  }

  /** Ends the input: the last row (without a line break) is pushed; an open quote is an error. */
  end(rows: string[][]): void {
    if (this.state === State.Quoted) throw new CsvError(this.line, 'a quoted field is not closed')
    if (this.state !== State.FieldStart || this.row.length > 0) {
      this.endField('')
      this.endRow(rows)
    }
    this.state = State.FieldStart
  }

  private endField(tail: string): void {
    this.row.push(this.field + tail)
    this.field = ''
  }

  private endRow(rows: string[][]): void {
    const row = this.row
    this.row = []
    this.line++
    const quoted = this.quoted
    this.quoted = false
    // An empty line is one unquoted empty field: skipped.
    if (row.length === 1 && row[0] === '' && !quoted) return
    rows.push(row)
  }
}

/** Parses a whole CSV text into rows (for tests and small inputs). */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const parser = new CsvParser(delimiter)
  const rows: string[][] = []
  parser.push(text, rows)
  parser.end(rows)
  return rows
}
