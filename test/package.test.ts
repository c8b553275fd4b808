import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, string | { types: string; default: string }>
  bin: Record<string, string>
  dependencies: Record<string, string>
}

// Runs an ES module in a plain Node process, outside the test runner's module loader.
async function node(cwd: string, source: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', source], { cwd })
  return stdout.trim()
}

describe('the built package', () => {
  const entries = Object.entries(pkg.exports).filter(([path]) => path !== './package.json')

  it('has a declaration file and a module for every export', () => {
    for (const [path, target] of entries) {
      if (typeof target === 'string') throw new Error(`${path} must map types and default`)
      expect(existsSync(join(root, target.types)), target.types).toBe(true)
      expect(existsSync(join(root, target.default)), target.default).toBe(true)
    }
  })

  it('imports every export entry by its public name, each exporting something', async () => {
    const specifiers = entries.map(([path]) => pkg.name + path.slice(1))
    const counts = await node(
      root,
      `const names = ${JSON.stringify(specifiers)}
       const counts = {}
       for (const name of names) counts[name] = Object.keys(await import(name)).length
       console.log(JSON.stringify(counts))`,
    )
    const parsed = JSON.parse(counts) as Record<string, number>
    expect(Object.keys(parsed)).toEqual(specifiers)
    for (const [name, count] of Object.entries(parsed)) expect(count, name).toBeGreaterThan(0)
  })

  describe('installed twice in one tree', () => {
    const app = mkdtempSync(join(tmpdir(), 'seamline-copies-'))
    afterAll(() => rmSync(app, { recursive: true, force: true }))

    it('recognises errors made by the other copy', async () => {
      for (const copy of ['seamline-a', 'seamline-b']) {
        const dir = join(app, 'node_modules', copy)
        mkdirSync(dir, { recursive: true })
        cpSync(join(root, 'package.json'), join(dir, 'package.json'))
        cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true })
      }
      // The copies resolve their own dependencies from the app's node_modules, as npm lays them.
      for (const dependency of Object.keys(pkg.dependencies)) {
        const link = join(app, 'node_modules', dependency)
        mkdirSync(dirname(link), { recursive: true })
        symlinkSync(join(root, 'node_modules', dependency), link)
      }
      const output = await node(
        app,
        `import * as a from 'seamline-a'
         import * as b from 'seamline-b'
         const error = new a.SeamlineError('SEAM_ERR_INVALID_ARGUMENT', { operation: 'op', target: 't', reason: 'r' })
         console.log(JSON.stringify([a.SeamlineError === b.SeamlineError, b.isSeamlineError(error), error instanceof b.SeamlineError]))`,
      )
      expect(JSON.parse(output)).toEqual([false, true, true])
    })
  })

  it('runs the seamline binary', async () => {
    const bin = join(root, pkg.bin.seamline as string)
    const { stdout: version } = await run(process.execPath, [bin, '--version'])
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const { stdout: doctor } = await run(process.execPath, [bin, 'doctor'])
    expect(doctor).toMatch(/^ok {3}node: Node\.js v\d+/m)
  })
})
