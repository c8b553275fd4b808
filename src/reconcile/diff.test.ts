import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import {
  createReconcile,
  fromIterable,
  type ReconcileReport,
  type ReconcilerOptions,
  type SourceRecord,
} from './index.js'

const temp = mkdtempSync(join(tmpdir(), 'seamline-reconcile-test-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

type Engine = 'merge' | 'partition'

async function diff(
  left: SourceRecord[],
  right: SourceRecord[],
  options: Partial<ReconcilerOptions> & { engine: Engine; fields?: ReconcilerOptions['fields'] },
): Promise<ReconcileReport> {
  const reconcile = createReconcile({ clock: new FakeClock() })
  const ordered = options.engine === 'merge'
  reconcile.define('test', {
    fields: ['amount', 'status'],
    sampleLimit: 1_000_000,
    tempDir: temp,
    ...options,
    left: { ...options.left, source: fromIterable(left, { name: 'a', ordered }) },
    right: { ...options.right, source: fromIterable(right, { name: 'b', ordered }) },
  })
  return reconcile.run('test')
}

// Findings as sorted sets, so engines that find them in different orders compare equal.
const findings = (report: ReconcileReport) => ({
  counts: report.counts,
  missingInLeft: [...report.samples.missingInLeft].sort(),
  missingInRight: [...report.samples.missingInRight].sort(),
  mismatched: [...report.samples.mismatched].sort((a, b) => (a.key < b.key ? -1 : 1)),
})

const engines: Engine[] = ['merge', 'partition']

describe.each(engines)('the %s engine', (engine) => {
  it('finds exactly the injected differences, and none from formatting or key order', async () => {
    const left = [
      { id: 'a', amount: 1050, status: 'active', created: 1 },
      { id: 'b', amount: 200, status: 'active' },
      { id: 'c', amount: 300, status: 'canceled' },
      { id: 'd', amount: 400, status: 'active' },
      { id: 'f', amount: 0.1, status: 'active' },
    ]
    const right = [
      { status: 'active', total: '10.50', id: 'a' }, // reordered keys, decimal text for cents
      { id: 'b', total: '2', status: 'active' },
      { id: 'c', total: 3, status: 'active' }, // status changed
      { id: 'e', total: 5, status: 'active' }, // extra
      { id: 'f', total: '0.0010', status: 'active' }, // a float vs decimal text, equal
    ]
    const report = await diff(left, right, {
      engine,
      fields: { amount: { shift: -2 }, status: 'status' },
      right: { source: fromIterable([]), fields: { amount: 'total' } },
    })
    expect(findings(report)).toEqual({
      counts: { left: 5, right: 5, matched: 3, missingInLeft: 1, missingInRight: 1, mismatched: 1 },
      missingInLeft: ['e'],
      missingInRight: ['d'],
      mismatched: [{ key: 'c', fields: { status: { left: 'canceled', right: 'active' } } }],
    })
    expect(report.engine).toBe(engine)
    expect(report.driftRate).toBeCloseTo(3 / 6)
  })

  it('caps the samples and keeps the counts exact', async () => {
    const left = Array.from({ length: 50 }, (_, i) => ({
      id: `k${String(i).padStart(3, '0')}`,
      amount: i,
      status: 'x',
    }))
    const report = await diff(left, [], { engine, sampleLimit: 7 })
    expect(report.counts.missingInRight).toBe(50)
    expect(report.samples.missingInRight).toHaveLength(7)
  })

  it('refuses a key given twice on either side', async () => {
    const twice = [
      { id: 'a', amount: 1, status: 's' },
      { id: 'a', amount: 1, status: 's' },
    ]
    const once = [{ id: 'a', amount: 1, status: 's' }]
    await expect(diff(twice, once, { engine })).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_DUPLICATE_KEY',
      message: expect.stringContaining('left source a gave the key "a" twice') as string,
    })
    await expect(diff(once, twice, { engine })).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_DUPLICATE_KEY',
    })
  })

  it('names the record whose field cannot be read', async () => {
    await expect(
      diff([{ id: 'a', amount: 'lots', status: 's' }], [], {
        engine,
        fields: { amount: { type: 'decimal' }, status: 'status' },
      }),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_RECORD',
      message: expect.stringContaining('left record a has a field amount') as string,
    })
  })
})

describe('the merge engine', () => {
  it('fails with a typed error when a side said it was ordered and was not', async () => {
    const unsorted = [
      { id: 'b', amount: 1, status: 's' },
      { id: 'a', amount: 1, status: 's' },
    ]
    await expect(diff(unsorted, [], { engine: 'merge' })).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_UNSORTED',
      message: expect.stringContaining('"a" came after "b"') as string,
    })
  })

  it('orders number keys numerically under keyType number', async () => {
    const left = [2, 9, 10].map((id) => ({ id, amount: id, status: 's' }))
    const right = ['2', '10', '11'].map((id) => ({ id, amount: Number(id), status: 's' }))
    const report = await diff(left, right, { engine: 'merge', keyType: 'number' })
    expect(findings(report)).toMatchObject({ missingInLeft: [11], missingInRight: [9] })
  })

  it('is refused for a source that is not ordered', async () => {
    const reconcile = createReconcile({ clock: new FakeClock() })
    reconcile.define('x', {
      fields: ['a'],
      engine: 'merge',
      left: { source: fromIterable([], { ordered: true }) },
      right: { source: fromIterable([]) },
    })
    await expect(reconcile.run('x')).rejects.toThrow(/the right source is not ordered by key/)
  })
})

describe('the partition engine', () => {
  it('spills to disk under a tiny memory budget, finds the same, and removes its files', async () => {
    const left = Array.from({ length: 3_000 }, (_, i) => ({ id: `k${i}`, amount: i, status: 'a' }))
    const right = left
      .filter((_, i) => i % 100 !== 0)
      .map((r, i) => (i % 250 === 0 ? { ...r, status: 'b' } : r))
    right.push({ id: 'extra', amount: 1, status: 'a' })
    const inMemory = await diff(left, right, { engine: 'partition' })
    const spilled = await diff(left, right, { engine: 'partition', memoryBytes: 60_000 })
    expect(inMemory.spilledPartitions).toBe(0)
    expect(spilled.spilledPartitions).toBeGreaterThan(0)
    expect(findings(spilled)).toEqual(findings(inMemory))
    expect(inMemory.counts).toMatchObject({ missingInRight: 30, missingInLeft: 1, mismatched: 12 })
    expect(readdirSync(temp)).toEqual([])
  })

  it('removes its spill files when a run fails midway', async () => {
    const left = Array.from({ length: 500 }, (_, i) => ({ id: `k${i}`, amount: i, status: 'a' }))
    const right = [...left, left[3]!]
    await expect(
      diff(left, right, { engine: 'partition', memoryBytes: 1_000 }),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_RECONCILE_DUPLICATE_KEY',
    })
    expect(existsSync(temp) && readdirSync(temp)).toEqual([])
  })
})

describe('properties', () => {
  const record = fc.record({
    id: fc.string({ minLength: 1, maxLength: 4 }),
    amount: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom('1.50', '1.5', '2')),
    status: fc.constantFrom('active', 'canceled', null),
  })
  const side = fc.uniqueArray(record, { selector: (r) => r.id, maxLength: 60 })
  const sorted = (rows: SourceRecord[]) =>
    [...rows].sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1))
  const budgets = [undefined, 250] // 250 bytes forces spills, and partitions split again

  for (const engine of engines) {
    for (const memoryBytes of engine === 'merge' ? [undefined] : budgets) {
      const label = `${engine}${memoryBytes ? ' (spilling)' : ''}`
      it(`${label}: diff(A, A) finds nothing`, async () => {
        await fc.assert(
          fc.asyncProperty(side, async (a) => {
            const rows = sorted(a)
            const report = await diff(rows, rows, { engine, ...(memoryBytes && { memoryBytes }) })
            expect(report.counts).toEqual({
              left: a.length,
              right: a.length,
              matched: a.length,
              missingInLeft: 0,
              missingInRight: 0,
              mismatched: 0,
            })
          }),
          { numRuns: 40 },
        )
      })

      it(`${label}: diff(A, B) mirrors diff(B, A), and agrees with the other engine`, async () => {
        await fc.assert(
          fc.asyncProperty(side, side, async (a, b) => {
            const [ra, rb] = [sorted(a), sorted(b)]
            const opts = { engine, ...(memoryBytes && { memoryBytes }) }
            const ab = findings(await diff(ra, rb, opts))
            const ba = findings(await diff(rb, ra, opts))
            expect(ba.missingInLeft).toEqual(ab.missingInRight)
            expect(ba.missingInRight).toEqual(ab.missingInLeft)
            expect(ba.mismatched).toEqual(
              ab.mismatched.map(({ key, fields }) => ({
                key,
                fields: Object.fromEntries(
                  Object.entries(fields).map(([f, d]) => [f, { left: d.right, right: d.left }]),
                ),
              })),
            )
            const other = findings(
              await diff(ra, rb, { engine: engine === 'merge' ? 'partition' : 'merge' }),
            )
            expect(other).toEqual(ab)
          }),
          { numRuns: 40 },
        )
      })
    }
  }
})
