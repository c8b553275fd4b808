import { machine, median, type BenchmarkResult } from './harness.js'

const number = (v: number): string =>
  !Number.isFinite(v)
    ? '—'
    : Math.abs(v) >= 100
      ? Math.round(v).toLocaleString('en-US')
      : Number(v.toPrecision(3)).toString()
const ratio = (v: number): string => (Number.isFinite(v) && v > 0 ? `${v.toFixed(2)}×` : '—')

function cell(values: number[]): string {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return '—'
  const [low, high] = [Math.min(...finite), Math.max(...finite)]
  return low === high ? number(low) : `${number(median(finite))} (${number(low)} – ${number(high)})`
}

/** Renders every result as the Markdown of bench/RESULTS.md. */
export function renderResults(results: BenchmarkResult[], date: Date): string {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${date.toISOString().slice(0, 10)}. Machine: ${machine()}.`,
    '',
    'Each benchmark runs Seamline and its peers side by side in one process: one warm-up run each,',
    'then rounds in which every subject runs once, in rotating order. Cells give the median and,',
    'in brackets, the range over the rounds. The ratio compares the first metric within each round',
    'and is oriented so that above 1× means Seamline did better (higher throughput, or fewer of a',
    'bad thing); it is left out where a value is zero. Absolute numbers drift between runs on',
    'shared machines; the ratios are what to compare.',
  ]
  for (const { benchmark, metrics, repetitions, results: subjects } of results) {
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
    const primary = metrics[0]!.label
    lines.push(
      '',
      `| subject | ${metrics.map((m) => m.label).join(' | ')} | Seamline vs subject on ${primary} (median) | range |`,
      `| --- | ${metrics.map(() => '---:').join(' | ')} | ---: | ---: |`,
    )
    for (const r of subjects) {
      const finite = r.ratios?.filter((v) => Number.isFinite(v) && v > 0) ?? []
      const ratios = r.ratios
        ? finite.length > 0
          ? [ratio(median(finite)), `${ratio(Math.min(...finite))} – ${ratio(Math.max(...finite))}`]
          : ['—', '—']
        : ['—', '—']
      lines.push(
        `| ${r.subject} | ${metrics.map((m) => cell(r.values[m.key] ?? [])).join(' | ')} | ${ratios.join(' | ')} |`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}
