// Runs every benchmark in benchmarks/ and writes RESULTS.md.
//   tsx run.ts            full run, rewrites RESULTS.md
//   tsx run.ts NAME…      only the benchmark files named, printed, RESULTS.md untouched
//   tsx run.ts --smoke    each benchmark once at a tenth of its size, to prove it still runs
//   --subjects=a,b        only these subjects besides seamline (with NAME…, while iterating)
import { readdirSync, writeFileSync } from 'node:fs'
import { runBenchmark, type Benchmark, type BenchmarkResult } from './harness.js'
import { renderResults } from './report.js'

const args = process.argv.slice(2)
const smoke = args.includes('--smoke')
const only = args.filter((a) => !a.startsWith('--'))
const subjects = args
  .find((a) => a.startsWith('--subjects='))
  ?.slice('--subjects='.length)
  .split(',')
const files = readdirSync(new URL('./benchmarks/', import.meta.url))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort()

const results: BenchmarkResult[] = []
for (const file of files) {
  const { default: benchmarks } = (await import(`./benchmarks/${file}`)) as { default: Benchmark[] }
  for (const benchmark of benchmarks) {
    process.stdout.write(`${benchmark.name} … `)
    const result = await runBenchmark(benchmark, {
      ...(smoke ? { repetitions: 1, scale: 0.1 } : { repetitions: 7, scale: 1 }),
      ...(subjects ? { subjects } : {}),
    })
    results.push(result)
    console.log('done')
  }
}
const markdown = renderResults(results, new Date())
if (smoke || only.length > 0 || subjects) console.log(`\n${markdown}`)
else {
  writeFileSync(new URL('./RESULTS.md', import.meta.url), markdown)
  console.log('\nwrote bench/RESULTS.md')
}
