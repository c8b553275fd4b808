import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { entryBatches, type EntryOptions } from './entries.js'
import { compileSide, type SideSpec } from './side.js'
import { Tally, type Finding } from './findings.js'
import { partitionDiff } from './partition-diff.js'
import { createReconcile, jsonLinesSource, type ReconcilerOptions } from './index.js'
import { liveReadingThreads } from './worker-entries.js'

const temp = mkdtempSync(join(tmpdir(), 'seamline-reconcile-workers-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const write = (name: string, lines: string[], end = '\n') => {
  const path = join(temp, name)
  writeFileSync(path, lines.join('\n') + end)
  return path
}

const id = (i: number) => `k${String(i).padStart(4, '0')}`
// Every kind of difference: missing on either side, each field type changed, equal values
// written differently, blank lines, multi-byte text, a line longer than a chunk, no final break.
function sides(n: number) {
  const left: string[] = []
  const right: string[] = []
  for (let i = 0; i < n; i++) {
    const record = {
      id: id(i),
      name: i % 7 === 0 ? `naïve ☃ ${'x'.repeat(i % 5 === 0 ? 300 : 3)}` : `n${i}`,
      amount: i * 101,
      created: new Date(1_767_225_600_000 + i * 1_000).toISOString(),
      meta: { tier: i % 3, tags: ['a', i % 2 ? 'b' : 'c'] },
      updated: 1_767_225_600_000 + i,
    }
    if (i % 11 !== 3) left.push(JSON.stringify(record))
    if (i % 13 === 5) continue
    const changed =
      i % 17 === 0
        ? { ...record, amount: record.amount + 1 }
        : i % 19 === 0
          ? { ...record, created: '2020-01-01T00:00:00Z', name: 'other' }
          : i % 23 === 0
            ? { ...record, meta: { tags: ['a'], tier: 9 } }
            : {
                ...record,
                amount: `${record.amount}.00`,
                meta: { tags: record.meta.tags, tier: record.meta.tier },
              }
    right.push(JSON.stringify(changed))
    if (i % 29 === 0) right.push('   ')
  }
  return { left, right }
}

const fields: ReconcilerOptions['fields'] = {
  name: 'name',
  amount: { type: 'decimal' },
  created: { type: 'date' },
  meta: 'meta',
}

async function runBoth(options: (workers: boolean) => ReconcilerOptions) {
  const reports = []
  const findings: Finding[][] = []
  for (const workers of [false, true]) {
    const seen: Finding[] = []
    const reconcile = createReconcile()
    reconcile.define('r', {
      ...options(workers),
      workers,
      sampleLimit: 1_000,
      repair: (finding) => {
        seen.push(finding)
        return undefined
      },
    })
    const report = await reconcile.run('r')
    const { counts, samples, engine, spilledPartitions } = report
    reports.push({ counts, samples, engine, spilledPartitions })
    findings.push(seen)
  }
  return { reports, findings }
}

describe('reading threads', () => {
  it('give the merge engine the same report and findings as reading in this thread', async () => {
    const { left, right } = sides(2_000)
    const l = write('left.jsonl', left, '')
    const r = write('right.jsonl', right)
    const { reports, findings } = await runBoth(() => ({
      fields,
      left: { source: jsonLinesSource(l, { ordered: true, chunkBytes: 256 }) },
      right: { source: jsonLinesSource(r, { ordered: true, chunkBytes: 4_096 }) },
    }))
    expect(reports[0]!.engine).toBe('merge')
    expect(reports[0]!.counts.mismatched).toBeGreaterThan(100)
    expect(reports[0]!.counts.missingInLeft).toBeGreaterThan(100)
    expect(reports[0]!.counts.missingInRight).toBeGreaterThan(100)
    expect(reports[1]).toEqual(reports[0])
    expect(findings[1]).toEqual(findings[0])
    expect(liveReadingThreads()).toBe(0)
  })

  it('give the partition engine the same report and findings, spilled or not', async () => {
    const { left, right } = sides(2_000)
    const shuffled = (lines: string[]) =>
      lines.map((line, i) => lines[(i * 7919) % lines.length]!).filter((l) => l.trim())
    const l = write('left-unordered.jsonl', shuffled(left))
    const r = write('right-unordered.jsonl', shuffled(right), '')
    for (const memoryBytes of [undefined, 40_000, 2_000]) {
      const { reports, findings } = await runBoth(() => ({
        fields,
        left: { source: jsonLinesSource(l, { chunkBytes: 2_048 }) },
        right: { source: jsonLinesSource(r, { chunkBytes: 1_024 }) },
        ...(memoryBytes !== undefined && { memoryBytes, tempDir: temp }),
      }))
      expect(reports[0]!.engine).toBe('partition')
      expect(reports[0]!.spilledPartitions).toBe(memoryBytes ? 16 : 0)
      expect(reports[0]!.counts.mismatched).toBeGreaterThan(100)
      expect(reports[1]).toEqual(reports[0])
      expect(findings[1]).toEqual(findings[0])
    }
    // A key given twice is found in the spill files, from threads' lines as from this thread's.
    const twice = write('twice.jsonl', [...shuffled(left), left[1_500]!])
    const errors: string[] = []
    for (const workers of [false, true]) {
      const reconcile = createReconcile()
      reconcile.define('r', {
        fields,
        workers,
        memoryBytes: 40_000,
        tempDir: temp,
        left: { source: jsonLinesSource(twice, { chunkBytes: 2_048 }) },
        right: { source: jsonLinesSource(r) },
      })
      errors.push(await reconcile.run('r').then(String, (e: Error) => e.message))
    }
    expect(errors[0]).toMatch(/twice/)
    expect(errors[1]).toBe(errors[0])
    expect(liveReadingThreads()).toBe(0)
  })

  it('hand entries over in the file order from several threads, with the watermark', async () => {
    const { left } = sides(1_500)
    const path = write('many.jsonl', left, '')
    const spec: SideSpec = {
      source: jsonLinesSource(path, { chunkBytes: 300 }),
      fields: { amount: { type: 'decimal' } },
      watermark: 'updated',
    }
    const side = compileSide('left', spec, { amount: 'amount', meta: 'meta' }, 'string', 'r')
    const read = async (options: EntryOptions) => {
      let latest = 0
      let threads = 0
      const keys = []
      const canons = []
      const skip = new Set([id(4), id(900)])
      for await (const batch of entryBatches(side, {
        ...options,
        window: { from: 1_767_225_600_100, to: 1_767_225_601_200 },
        skip,
        onChangedAt: (ms) => (latest = Math.max(latest, ms)),
      })) {
        keys.push(...batch.keys)
        canons.push(...batch.canons)
        threads = Math.max(threads, liveReadingThreads())
      }
      return { keys, canons, latest, threads }
    }
    const here = await read({ workers: false })
    expect(here.keys.length).toBeGreaterThan(900)
    expect(await read({ workers: true, threads: 3 })).toEqual({ ...here, threads: 3 })
    expect(liveReadingThreads()).toBe(0)
  })

  it('fail with the same typed errors, line numbers included', async () => {
    const { left } = sides(600)
    const bad = [...left]
    bad[437] = '{"id": "k0437", oops}'
    const cases = [
      write('bad-json.jsonl', bad),
      write('not-object.jsonl', [...left.slice(0, 300), '[1]', ...left.slice(300)]),
      write('bad-value.jsonl', [...left.slice(0, 200), '{"id":"k0200","amount":"ten"}']),
      join(temp, 'missing.jsonl'),
    ]
    for (const path of cases) {
      const errors: (Error & { code: string })[] = []
      for (const workers of [false, true]) {
        const side = compileSide(
          'left',
          { source: jsonLinesSource(path, { chunkBytes: 512 }) },
          { amount: { type: 'decimal' } },
          'string',
          'r',
        )
        const error = await (async () => {
          for await (const _ of entryBatches(side, { workers, threads: 2 })) void _
        })().catch((e: unknown) => e as Error & { code: string })
        errors.push(error!)
      }
      expect(errors[1]!.code).toMatch(/^SEAM_ERR_RECONCILE_/)
      expect({ code: errors[1]!.code, message: errors[1]!.message }).toEqual({
        code: errors[0]!.code,
        message: errors[0]!.message,
      })
      expect(liveReadingThreads()).toBe(0)
    }
  })

  it('end when the run is aborted', async () => {
    const { left } = sides(3_000)
    const path = write('abort.jsonl', left)
    const controller = new AbortController()
    let threads = 0
    const reconcile = createReconcile()
    reconcile.define('r', {
      fields,
      workers: true,
      left: { source: jsonLinesSource(path, { ordered: true, chunkBytes: 256 }) },
      right: { source: jsonLinesSource(path, { ordered: true, chunkBytes: 256 }) },
    })
    const run = reconcile.run('r', {
      signal: controller.signal,
      onProgress: () => {
        threads = liveReadingThreads()
        controller.abort(new Error('stop'))
      },
    })
    await expect(run).rejects.toThrow('stop')
    expect(threads).toBe(2)
    expect(liveReadingThreads()).toBe(0)
  })

  it('are not used for sides whose key is a function', async () => {
    const { left } = sides(50)
    const path = write('fn.jsonl', left)
    const side = compileSide(
      'left',
      { source: jsonLinesSource(path), key: (r) => r.id },
      { amount: 'amount' },
      'string',
      'r',
    )
    let count = 0
    for await (const batch of entryBatches(side, { workers: true })) count += batch.keys.length
    expect(count).toBe(left.length)
  })
})

describe('the partition engine on a large file', () => {
  it('partitions from the first line a file twice its budget, and finds the same', async () => {
    const { left, right } = sides(1_200)
    const l = write('large-left.jsonl', left)
    const r = write('large-right.jsonl', right)
    const fileBytes = statSync(l).size
    const run = async (memoryBytes: number, window?: { from: number }) => {
      const compile = (name: 'left' | 'right', path: string) =>
        compileSide(
          name,
          { source: jsonLinesSource(path, { chunkBytes: 4_096 }), watermark: 'updated' },
          fields,
          'string',
          'r',
        )
      const tally = new Tally(Object.keys(fields), 10_000)
      const events: string[] = []
      await partitionDiff(compile('left', l), compile('right', r), tally, {
        reconciler: 'r',
        memoryBytes,
        tempDir: temp,
        ...(window && { window }),
        onSpill: () => events.push('spill'),
        afterBatch: () => void events.push('batch'),
      })
      // Spilled findings come partition by partition: compared as sets.
      const sorted = Object.fromEntries(
        Object.entries(tally.samples).map(([kind, list]) => [
          kind,
          (list as { key: unknown }[]).map((f) => JSON.stringify(f)).sort(),
        ]),
      )
      return { events, counts: tally.counts, samples: sorted }
    }
    // Past twice the budget: spilled before the first batch. Short of it: once the table fills.
    const upFront = await run(Math.floor(fileBytes / 2) - 1)
    const late = await run(Math.floor(fileBytes / 2) + 1)
    expect(upFront.events[0]).toBe('spill')
    expect(late.events.indexOf('spill')).toBeGreaterThan(0)
    const inMemory = await run(fileBytes * 10)
    expect(inMemory.events).not.toContain('spill')
    expect(upFront.counts.mismatched).toBeGreaterThan(50)
    expect({ ...upFront, events: [] }).toEqual({ ...inMemory, events: [] })
    expect({ ...late, events: [] }).toEqual({ ...inMemory, events: [] })
    // A window may keep few of the file's records: the table is tried first.
    const windowed = await run(Math.floor(fileBytes / 2) - 1, { from: 1_767_225_600_900 })
    expect(windowed.events[0]).toBe('batch')
    expect(readdirSync(temp).filter((n) => n.startsWith('seamline-reconcile-'))).toEqual([])
  })
})
