import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CsvParser, parseCsv } from './csv.js'

// A writer that quotes whenever it must (and sometimes when it need not), for round trips.
const writeField = (field: string, quoteAnyway: boolean) =>
  quoteAnyway || /[",\r\n]/.test(field) || field === '' ? `"${field.replaceAll('"', '""')}"` : field

describe('CSV', () => {
  it('reads quotes, escaped quotes, delimiters and line breaks inside quotes', () => {
    const text = 'id,name,note\r\n1,"Smith, Jo","said ""hi"""\r\n2,plain,"two\r\nlines"\n3,,""\n'
    expect(parseCsv(text)).toEqual([
      ['id', 'name', 'note'],
      ['1', 'Smith, Jo', 'said "hi"'],
      ['2', 'plain', 'two\r\nlines'],
      ['3', '', ''],
    ])
  })

  it('reads LF, CRLF and CR line ends, a last line without one, and skips empty lines', () => {
    expect(parseCsv('a,b\n\n1,2\r\n3,4\r5,6')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ])
  })

  it('keeps a row holding only an empty quoted field', () => {
    expect(parseCsv('a\n""\n')).toEqual([['a'], ['']])
  })

  it('refuses an unclosed quote and text after a closing quote, naming the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/line 2: a quoted field is not closed/)
    expect(() => parseCsv('a,b\n"x"y,2')).toThrow(/line 2: a closing quote must be followed/)
  })

  it('takes another delimiter', () => {
    expect(parseCsv('a;b\n"1;2";3', ';')).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ])
  })

  it('gives the same rows however the text is cut into chunks, and round-trips what a writer wrote (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\r', '\n', ' ', 'é') })
    const rows = fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    })
    fc.assert(
      fc.property(
        rows,
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (table, quoteAnyway, eol, cuts) => {
          const text =
            table.map((r) => r.map((f) => writeField(f, quoteAnyway)).join(',')).join(eol) + eol
          const parser = new CsvParser()
          const parsed: string[][] = []
          let at = 0
          for (const cut of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
            parser.push(text.slice(at, cut), parsed)
            at = cut
          }
          parser.push(text.slice(at), parsed)
          parser.end(parsed)
          expect(parsed).toEqual(table)
        },
      ),
    )
  })
})
