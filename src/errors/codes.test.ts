import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { errorCodes } from './index.js'

// docs/errors.md holds one table row per code: | `SEAM_ERR_X` | meaning |
function documentedCodes(): Map<string, string> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  const rows = [...text.matchAll(/^\|\s*`(SEAM_ERR_[A-Z0-9_]+)`\s*\|\s*(.+?)\s*\|\s*$/gm)]
  return new Map(rows.map(([, code, meaning]) => [code as string, meaning as string]))
}

describe('error codes', () => {
  it('are listed in docs/errors.md, each with the same meaning, and nothing else is', () => {
    const documented = documentedCodes()
    expect([...documented.keys()].sort()).toEqual(Object.keys(errorCodes).sort())
    for (const [code, meaning] of Object.entries(errorCodes)) {
      expect(documented.get(code), code).toBe(meaning)
    }
  })

  it('are spelled SEAM_ERR_ in upper snake case', () => {
    for (const code of Object.keys(errorCodes))
      expect(code).toMatch(/^SEAM_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/)
  })
})
