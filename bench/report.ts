import { machine, median, type BenchmarkResult } from './harness.js'

const rate = (v: number): string =>
  v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3)
const ratio = (v: number): string => `${v.toFixed(2)}×`
const range = (values: number[], format: (v: number) => string): string =>
  `${format(Math.min(...values))} – ${format(Math.max(...values))}`

/** Renders every result as the Markdown of bench/RESULTS.md. */
export function renderResults(results: BenchmarkResult[], date: Date): string {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${date.toISOString().slice(0, 10)}. Machine: ${machine()}.`,
    '',
    'Each benchmark runs Seamline and its peers side by side in one process: one warm-up run each,',
    'then rounds in which every subject runs once, in rotating order. Throughput is operations per',
    'second; the ratio is Seamline ÷ peer within the same round (above 1× means Seamline is faster),',
    'given as the median and range over the rounds. Absolute numbers drift between runs on shared',
    'machines; the ratios are what to compare.',
  ]
  for (const { benchmark, repetitions, results: subjects } of results) {
    lines.push(
      '',
      `## ${benchmark.name}`,
      '',
      `**What:** ${benchmark.what}`,
      '',
      `**How:** ${benchmark.how}`,
    )
    lines.push(
      '',
      `Operations per run: ${benchmark.ops.toLocaleString('en-US')}; rounds: ${repetitions}.`,
    )
    if (benchmark.durability) lines.push(`Durability: ${benchmark.durability}.`)
    lines.push(
      '',
      '| subject | median ops/s | min – max ops/s | Seamline ÷ subject (median) | range |',
      '| --- | ---: | ---: | ---: | ---: |',
    )
    for (const r of subjects) {
      const cells = r.ratios ? [ratio(median(r.ratios)), range(r.ratios, ratio)] : ['—', '—']
      lines.push(
        `| ${r.subject} | ${rate(median(r.rates))} | ${range(r.rates, rate)} | ${cells.join(' | ')} |`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}
