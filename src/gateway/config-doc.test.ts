import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  configTableEnd,
  configTableStart,
  configurationRows,
  configurationTable,
} from './config-doc.js'

// Cells without their padding: prettier aligns the columns of the committed table.
const cells = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .filter((line) => !/^\|\s*-/.test(line))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    )

describe('docs/configuration.md', () => {
  it('holds the option table the schema gives (run npm run docs:config when this fails)', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
    const start = doc.indexOf(configTableStart)
    const end = doc.indexOf(configTableEnd)
    expect(start).toBeGreaterThan(-1)
    expect(end).toBeGreaterThan(start)
    const committed = doc.slice(start + configTableStart.length, end)
    expect(cells(committed)).toEqual(cells(configurationTable()))
  })

  it('lists nested keys with their requirement, type and default', () => {
    const rows = new Map(configurationRows().map((row) => [row.key, row]))
    expect(rows.get('store')).toMatchObject({ required: false, default: '`"seamline.sqlite"`' })
    expect(rows.get('webhooks.sources.<name>.secrets')).toMatchObject({
      required: true,
      type: 'list of string',
    })
    expect(rows.get('webhooks.sources.<name>.destination.timeoutMs')).toMatchObject({
      default: '`10000`',
    })
    expect(rows.get('reconciliations[].every')).toMatchObject({ required: true })
    expect(rows.get('providers.<name>.credentials.<name>')).toBeDefined()
  })
})
