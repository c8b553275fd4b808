// One contender of the reconcile benchmark, alone in its process so its peak RSS is its own.
// It diffs two JSON-lines files and prints one JSON line: findings, records read, time, peak RSS.
//   node reconcile.mjs seamline|maps LEFT RIGHT sorted|unsorted TEMPDIR
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { createReconcile, jsonLinesSource } from '../../dist/reconcile/index.js'

const [contender, left, right, order, tempDir] = process.argv.slice(2)
const fields = ['email', 'amount', 'currency', 'status', 'created']
const started = performance.now()
let result

if (contender === 'seamline') {
  const ordered = order === 'sorted'
  const reconcile = createReconcile()
  reconcile.define('bench', {
    fields,
    left: { source: jsonLinesSource(left, { ordered }) },
    right: { source: jsonLinesSource(right, { ordered }) },
    tempDir,
  })
  const report = await reconcile.run('bench')
  result = { ...report.counts, engine: report.engine, spilled: report.spilledPartitions }
} else {
  // The plain way: both sides into Maps, then compare each pair's fields as JSON.
  const load = async (path) => {
    const map = new Map()
    for await (const line of createInterface({
      input: createReadStream(path),
      crlfDelay: Infinity,
    })) {
      if (!line) continue
      const record = JSON.parse(line)
      map.set(record.id, record)
    }
    return map
  }
  const [a, b] = [await load(left), await load(right)]
  const counts = {
    left: a.size,
    right: b.size,
    matched: 0,
    missingInLeft: 0,
    missingInRight: 0,
    mismatched: 0,
  }
  const pick = (r) => JSON.stringify(fields.map((f) => r[f] ?? null))
  for (const [id, record] of a) {
    const other = b.get(id)
    if (!other) counts.missingInRight++
    else if (pick(record) === pick(other)) counts.matched++
    else counts.mismatched++
  }
  for (const id of b.keys()) if (!a.has(id)) counts.missingInLeft++
  result = counts
}
const ms = performance.now() - started
process.stdout.write(
  `${JSON.stringify({ ...result, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
)
