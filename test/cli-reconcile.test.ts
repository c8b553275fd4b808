import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const library = pathToFileURL(
  fileURLToPath(new URL('../dist/reconcile/index.js', import.meta.url)),
).href
const dir = mkdtempSync(join(tmpdir(), 'seamline-cli-reconcile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// An app's module of reconcilers, over two JSON-lines files, its reports kept as files.
writeFileSync(
  join(dir, 'left.jsonl'),
  ['{"id":"a","total":"10.50"}', '{"id":"b","total":2}', '{"id":"c","total":3}'].join('\n'),
)
writeFileSync(
  join(dir, 'right.jsonl'),
  ['{"id":"a","total":10.5}', '{"id":"b","total":20}', '{"id":"d","total":4}'].join('\n'),
)
const module = join(dir, 'reconcilers.mjs')
writeFileSync(
  module,
  `import { createReconcile, fileReports, jsonLinesSource } from ${JSON.stringify(library)}
const here = new URL('.', import.meta.url).pathname
const reconcile = createReconcile({ reports: fileReports(here + 'reports') })
reconcile.define('orders', {
  fields: ['total'],
  left: { source: jsonLinesSource(here + 'left.jsonl', { ordered: true }) },
  right: { source: jsonLinesSource(here + 'right.jsonl', { ordered: true }) },
})
export let closed = false
export function close() { closed = true }
export default reconcile
`,
)

async function seamline(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      bin,
      'reconcile',
      ...args,
      '--module',
      module,
    ])
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('seamline reconcile', () => {
  it('runs a reconciler and prints a summary table, with no progress bar outside a terminal', async () => {
    const { code, stdout, stderr } = await seamline('run', 'orders')
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^matched\s+1$/m)
    expect(stdout).toMatch(/^missing in left\s+1$/m)
    expect(stdout).toMatch(/^missing in right\s+1$/m)
    expect(stdout).toMatch(/^mismatched\s+1$/m)
    expect(stdout).toMatch(/^drift rate\s+75\.00 %$/m)
    expect(stdout).toContain('mismatched        b  total: 2 ≠ 20')
  })

  it('prints the report as JSON, lists reports, shows one, and exits 1 on drift when asked', async () => {
    const run = await seamline('run', 'orders', '--json', '--fail-on-drift')
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout) as {
      id: string
      counts: Record<string, number>
      delta?: unknown
    }
    expect(report.counts).toEqual({
      left: 3,
      right: 3,
      matched: 1,
      missingInLeft: 1,
      missingInRight: 1,
      mismatched: 1,
    })
    expect(report.delta).toMatchObject({ driftRate: 0, mismatched: 0 })
    const list = await seamline('reports', '--json')
    expect((JSON.parse(list.stdout) as { id: string }[])[0]!.id).toBe(report.id)
    const show = await seamline('show', report.id)
    expect(show.stdout).toContain(`report ${report.id}`)
    expect((await seamline('list')).stdout.trim()).toBe('orders')
  })

  it('exits 2 (usage) for an unknown reconciler, and for a module it cannot use', async () => {
    const unknown = await seamline('run', 'nope')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(
      /seamline reconcile run: reconcile run nope is not defined \(defined: orders\)/,
    )
    const missing = await promisify(execFile)(process.execPath, [
      bin,
      'reconcile',
      'list',
      '--module',
      join(dir, 'none.mjs'),
    ]).catch((error: { code: number; stderr: string }) => error)
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot be imported') as string,
    })
  })
})
