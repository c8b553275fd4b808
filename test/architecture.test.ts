import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

// | 1.0 | `errors/` | … |  →  errors: 1.0
function layerRanks(): Map<string, number> {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')
  const rows = doc.matchAll(/^\|\s*([\d.]+)\s*\|\s*`([a-z-]+)\/`\s*\|/gm)
  return new Map([...rows].map(([, rank, folder]) => [folder as string, Number(rank)]))
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g

describe('architecture', () => {
  const ranks = layerRanks()
  const folders = readdirSync(src, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)

  it('lists every folder of src/ in docs/architecture.md, and only those', () => {
    expect([...ranks.keys()].sort()).toEqual([...folders].sort())
  })

  it('gives each folder an index.ts', () => {
    for (const folder of folders) {
      expect(readdirSync(join(src, folder)), folder).toContain('index.ts')
    }
  })

  it('imports only from lower layers, and only through their index.ts', () => {
    const problems: string[] = []
    for (const file of sourceFiles(src)) {
      const from = relative(src, file).split('/')
      const fromFolder = from.length > 1 ? from[0] : undefined
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(importPattern)) {
        const specifier = (match[1] ?? match[2]) as string
        const target = relative(src, join(file, '..', specifier)).split('/')
        const toFolder = target[0] as string
        if (toFolder === fromFolder) continue
        const where = `${relative(root, file)} imports '${specifier}'`
        if (target.length !== 2 || target[1] !== 'index.js') {
          problems.push(`${where}: go through ${toFolder}/index.ts`)
        }
        if (
          fromFolder !== undefined &&
          !((ranks.get(toFolder) ?? Infinity) < (ranks.get(fromFolder) ?? 0))
        ) {
          problems.push(`${where}: ${toFolder}/ is not below ${fromFolder}/`)
        }
      }
    }
    expect(problems).toEqual([])
  })
})

describe('the gateway', () => {
  const gateway = join(src, 'gateway')
  const families = readdirSync(gateway, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)

  it('is the route families of docs/architecture.md', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')
    const drawn = [...doc.matchAll(/^\|\s*`gateway\/([a-z-]+)\/`\s*\|/gm)].map(([, name]) => name)
    expect([...drawn].sort()).toEqual([...families].sort())
  })

  it('keeps its route families apart: none imports another', () => {
    const problems: string[] = []
    for (const family of families) {
      for (const file of sourceFiles(join(gateway, family))) {
        for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
          const target = relative(gateway, join(file, '..', (match[1] ?? match[2]) as string))
          const other = target.split('/')[0] as string
          if (other !== family && families.includes(other)) {
            problems.push(`${relative(root, file)} imports ${target}`)
          }
        }
      }
    }
    expect(problems).toEqual([])
  })

  it('has no function longer than 80 lines', () => {
    const long: string[] = []
    for (const file of sourceFiles(gateway)) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const line = (at: number) => source.getLineAndCharacterOfPosition(at).line
          const lines = line(node.getEnd()) - line(node.getStart(source)) + 1
          if (lines > 80)
            long.push(`${relative(root, file)}:${line(node.getStart(source)) + 1} (${lines} lines)`)
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
    }
    expect(long).toEqual([])
  })
})
