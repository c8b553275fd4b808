import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import {
  loadReconcileModule,
  type Reconcile,
  type ReconcileReport,
  type ReportSummary,
} from '../reconcile/index.js'
import { isSeamlineError } from '../errors/index.js'
import { runCommand } from './store-option.js'

interface ModuleFlags {
  module: string
  json?: boolean
}

const defaultModule = 'seamline.reconcile.mjs'

/**
 * The app's reconcilers: a module whose default export is the `createReconcile()` it defined
 * them on, and which may export a `close()` that ends its connections once the command is done.
 */
async function withReconcile(file: string, work: (reconcile: Reconcile) => Promise<void>) {
  // A module it cannot use is SEAM_ERR_INVALID_ARGUMENT: exit code 2, as a bad flag.
  const { reconcile, close } = await loadReconcileModule(file)
  try {
    await work(reconcile)
  } finally {
    await close?.()
  }
}

const moduleOption = (command: Command): Command =>
  command
    .option('--module <file>', `the module defining the reconcilers`, defaultModule)
    .option('--json', 'print JSON')

const count = (n: number) => n.toLocaleString('en-US')
const percent = (rate: number) => `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 4 : 2)} %`

/** The report as a two-column table, then a few samples of what differs. */
const usage = <T>(work: Promise<T>): Promise<T> =>
  work.catch((error: unknown) => {
    if (isSeamlineError(error) && error.code === 'SEAM_ERR_RECONCILE_NOT_FOUND')
      throw new InvalidArgumentError(error.message)
    throw error
  })

export function summaryTable(report: ReconcileReport): string {
  const { counts } = report
  const rows: [string, string][] = [
    ['reconciler', report.name],
    ['engine', `${report.engine} (${report.mode})`],
    [`left (${report.left.source})`, count(counts.left)],
    [`right (${report.right.source})`, count(counts.right)],
    ['matched', count(counts.matched)],
    ['missing in left', count(counts.missingInLeft)],
    ['missing in right', count(counts.missingInRight)],
    ['mismatched', count(counts.mismatched)],
    ['drift rate', percent(report.driftRate)],
    ['duration', `${(report.durationMs / 1_000).toFixed(1)} s`],
    ['API calls', count(report.apiCalls)],
    ['rate-limit waits', `${count(report.rateLimitWaits)} (${count(report.rateLimitWaitMs)} ms)`],
  ]
  if (report.delta) rows.push(['drift since last run', percent(report.delta.driftRate)])
  if (report.repair.planned > 0)
    rows.push([
      'repairs',
      report.repair.dryRun
        ? `${count(report.repair.planned)} planned (dry run)`
        : `${count(report.repair.enqueued)} enqueued`,
    ])
  for (const alert of report.alerts)
    rows.push([`ALERT ${alert.threshold}`, `${alert.value} > ${alert.limit}`])
  const width = Math.max(...rows.map(([label]) => label.length))
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
  const samples = [
    ...report.samples.missingInLeft.slice(0, 5).map((k) => `  missing in left   ${String(k)}`),
    ...report.samples.missingInRight.slice(0, 5).map((k) => `  missing in right  ${String(k)}`),
    ...report.samples.mismatched.slice(0, 5).map(
      (m) =>
        `  mismatched        ${String(m.key)}  ${Object.entries(m.fields)
          .map(([f, d]) => `${f}: ${JSON.stringify(d.left)} ≠ ${JSON.stringify(d.right)}`)
          .join(', ')}`,
    ),
  ]
  if (samples.length > 0) lines.push('', 'samples:', ...samples)
  lines.push('', `report ${report.id}`)
  return lines.join('\n')
}

/** An indeterminate bar with the counts so far (no total is known while sources stream). */
function progressLine(tick: number, left: number, right: number): string {
  const width = 20
  const at = tick % (2 * width - 2)
  const pos = at < width ? at : 2 * width - 2 - at
  const bar = `${' '.repeat(pos)}███${' '.repeat(width - pos)}`.slice(0, width + 3)
  return `\r[${bar}] left ${count(left)} · right ${count(right)} records`
}

function line(summary: ReportSummary): string {
  const c = summary.counts
  return [
    summary.id,
    summary.name,
    new Date(summary.startedAt).toISOString(),
    `${summary.engine}/${summary.mode}`,
    `matched ${c.matched}`,
    `missing ${c.missingInLeft}/${c.missingInRight}`,
    `mismatched ${c.mismatched}`,
    `drift ${percent(summary.driftRate)}`,
  ].join('  ')
}

export function reconcileCommand(): Command {
  const command = new Command('reconcile').description(
    'Run reconcilers and read their reports (defined in --module, default seamline.reconcile.mjs).',
  )

  moduleOption(command.command('run').description('Run a reconciler now and print its report.'))
    .addArgument(new Argument('<name>', 'the reconciler'))
    .option('--full', 'ignore the watermark: compare everything')
    .addOption(
      new Option('--repair <mode>', 'dry-run lists repairs; apply enqueues them')
        .choices(['dry-run', 'apply'])
        .default('dry-run'),
    )
    .option('--fail-on-drift', 'exit 1 when anything differs')
    .action(
      (
        name: string,
        flags: ModuleFlags & { full?: boolean; repair: 'dry-run' | 'apply'; failOnDrift?: boolean },
      ) =>
        runCommand('reconcile run', async () => {
          await withReconcile(flags.module, async (reconcile) => {
            const showProgress = !flags.json && process.stderr.isTTY
            let tick = 0
            // A name the module does not define is the command line's mistake: the usage code.
            const report = await usage(
              reconcile.run(name, {
                repair: flags.repair,
                ...(flags.full && { full: true }),
                ...(showProgress && {
                  onProgress: ({ left, right }) =>
                    process.stderr.write(progressLine(tick++, left, right)),
                }),
              }),
            )
            if (showProgress) process.stderr.write('\r\u001b[K')
            console.log(flags.json ? JSON.stringify(report, null, 2) : summaryTable(report))
            const { counts } = report
            if (
              flags.failOnDrift &&
              counts.missingInLeft + counts.missingInRight + counts.mismatched
            )
              process.exitCode = 1
          })
        }),
    )

  moduleOption(
    command.command('list').description('List the reconcilers the module defines.'),
  ).action((flags: ModuleFlags) =>
    runCommand('reconcile list', async () => {
      await withReconcile(flags.module, (reconcile) => {
        const names = reconcile.names()
        console.log(flags.json ? JSON.stringify(names) : names.join('\n'))
        return Promise.resolve()
      })
    }),
  )

  moduleOption(command.command('reports').description('List stored reports, newest first.'))
    .option('--name <reconciler>', 'only this reconciler')
    .option(
      '--limit <n>',
      'at most this many',
      (v) => {
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1)
          throw new InvalidArgumentError('expected a whole number above 0.')
        return n
      },
      20,
    )
    .action((flags: ModuleFlags & { name?: string; limit: number }) =>
      runCommand('reconcile reports', async () => {
        await withReconcile(flags.module, async (reconcile) => {
          const reports = await reconcile.listReports({
            limit: flags.limit,
            ...(flags.name !== undefined && { name: flags.name }),
          })
          console.log(flags.json ? JSON.stringify(reports, null, 2) : reports.map(line).join('\n'))
        })
      }),
    )

  moduleOption(command.command('show').description('Show one stored report.'))
    .addArgument(new Argument('<id>', 'report id'))
    .action((id: string, flags: ModuleFlags) =>
      runCommand('reconcile show', async () => {
        await withReconcile(flags.module, async (reconcile) => {
          const report = await reconcile.getReport(id)
          console.log(flags.json ? JSON.stringify(report, null, 2) : summaryTable(report))
        })
      }),
    )
  return command
}
