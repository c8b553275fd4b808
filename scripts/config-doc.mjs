// @ts-check
// Rewrites the option table of docs/configuration.md from the configuration schema (built in
// dist/); src/gateway/config-doc.test.ts fails while the table is stale.
import process from 'node:process'
import { readFileSync, writeFileSync } from 'node:fs'
import prettier from 'prettier'
import { configTableEnd, configTableStart, configurationTable } from '../dist/gateway/config-doc.js'

const file = 'docs/configuration.md'
const text = readFileSync(file, 'utf8')
const start = text.indexOf(configTableStart)
const end = text.indexOf(configTableEnd)
if (start < 0 || end < start) throw new Error(`${file} lacks the table markers`)
const updated = `${text.slice(0, start + configTableStart.length)}\n\n${configurationTable()}\n\n${text.slice(end)}`
const options = (await prettier.resolveConfig(file)) ?? {}
writeFileSync(file, await prettier.format(updated, { ...options, filepath: file }))
process.stdout.write(`${file}: table written\n`)
