import { execFile } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Benchmark, Metric } from '../harness.js'

// 1,000,000 records a side with 0.1 % differences (a third missing on each side, a third
// changed), as JSON lines, sorted by key or shuffled; each contender runs in a child process.
const worker = fileURLToPath(new URL('../workers/reconcile.mjs', import.meta.url))
const perSide = 1_000_000
const recordsPerSec: Metric = { key: 'recordsPerSec', label: 'records/s', better: 'higher' }
const peakRss: Metric = { key: 'peakRssMb', label: 'peak RSS (MB)', better: 'lower' }

let dir: string | undefined
const files = (order: string) => ({
  left: join(dir!, `left-${order}.jsonl`),
  right: join(dir!, `right-${order}.jsonl`),
})

// A seeded generator, so every run compares the same data.
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return state / 2 ** 32
  }
}

async function write(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path)
  let chunk: string[] = []
  for (const line of lines) {
    chunk.push(line)
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('')))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      chunk = []
    }
  }
  out.end(chunk.join(''))
  await new Promise<void>((resolve) => out.once('finish', () => resolve()))
}

async function generate(n: number): Promise<void> {
  const next = random(42)
  const id = (i: number) => `cus_${String(i).padStart(8, '0')}`
  const left: string[] = []
  const right: string[] = []
  const statuses = ['active', 'past_due', 'canceled', 'trialing']
  for (let i = 0; i < n; i++) {
    const record = {
      id: id(i),
      email: `customer${i}@example.com`,
      amount: Math.floor(next() * 100_000),
      currency: 'usd',
      status: statuses[i % 4],
      created: new Date(1_767_225_600_000 + i * 1_000).toISOString(),
    }
    const roll = i % 1_000 === 500 ? Math.floor(next() * 3) : -1
    const line = JSON.stringify(record)
    if (roll !== 0) left.push(`${line}\n`) // 0: missing on the left
    if (roll === 1) continue // 1: missing on the right
    // 2: a changed field; the others written with their keys in another order and cents as text.
    const { amount, ...rest } = record
    right.push(
      `${JSON.stringify(roll === 2 ? { ...record, status: 'changed' } : { amount: String(amount), ...rest })}\n`,
    )
  }
  const shuffle = (lines: string[]) => {
    const copy = [...lines]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
    }
    return copy
  }
  await write(files('sorted').left, left)
  await write(files('sorted').right, right)
  await write(files('unsorted').left, shuffle(left))
  await write(files('unsorted').right, shuffle(right))
}

async function contender(name: string, order: string): Promise<Record<string, number>> {
  const { left, right } = files(order)
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [worker, name, left, right, order, dir!],
    {
      maxBuffer: 1 << 20,
    },
  )
  const result = JSON.parse(stdout) as {
    ms: number
    maxRssMb: number
    mismatched: number
    left: number
    right: number
  }
  // Every contender must find the same: a third of the 0.1 % changed (the others are equal).
  if (result.mismatched === 0) throw new Error(`${name} found no differences: ${stdout}`)
  return {
    recordsPerSec: (result.left + result.right) / (result.ms / 1_000),
    peakRssMb: result.maxRssMb,
  }
}

const benchmark = (order: 'sorted' | 'unsorted'): Benchmark => ({
  name: `reconcile: 1M vs 1M JSON-lines records, ${order}`,
  what: `Records compared per second and peak RSS, diffing two JSON-lines files of ${perSide.toLocaleString('en-US')} records each with 0.1 % differences (missing on either side, changed fields; the unchanged ones written with another key order and cents as text on one side).`,
  how: `Each contender runs alone in a child process (peak RSS is its own). Seamline: \`jsonLinesSource\` on both sides${order === 'sorted' ? ', `ordered: true`, so the merge engine streams both' : ', unordered, so the partition engine hashes, spilling to disk past its 32 MiB budget (from the first line, as a file over twice the budget)'}; canonical values (decimal text equals numbers). maps: a plain script that reads both files with readline into Maps and compares JSON of the fields. Records/s counts both sides.`,
  ops: perSide * 2,
  repetitions: 5,
  metrics: [recordsPerSec, peakRss],
  setup: async () => {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), 'seamline-bench-reconcile-'))
      await generate(perSide)
    }
  },
  ...(order === 'unsorted' && {
    teardown: () => {
      if (dir) rmSync(dir, { recursive: true, force: true })
      dir = undefined
      return Promise.resolve()
    },
  }),
  subjects: {
    seamline: () => contender('seamline', order),
    maps: () => contender('maps', order),
  },
})

export default [benchmark('sorted'), benchmark('unsorted')]
