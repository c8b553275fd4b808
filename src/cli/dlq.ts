import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import { deadReasons, openStore, type JobRecord, type Store } from '../stores/index.js'
import { createJobs, type DeadLetterFilter } from '../jobs/index.js'
import { runCommand, storeOption, type StoreFlags } from './store-option.js'

interface FilterFlags extends StoreFlags {
  name?: string
  reason?: DeadLetterFilter['reason']
  error?: string
  key?: string
  since?: number
  until?: number
  json?: boolean
}

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `2026-11-01`, `2026-11-01T10:00:00Z`, or an age such as `30m`, `24h`, `7d`. */
export function parseTime(value: string, now = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(value)
  if (age) return now - Number(age[1]) * (units[age[2] as string] as number)
  const time = Date.parse(value)
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError(
      'expected a date (2026-11-01, an ISO time) or an age (30m, 24h, 7d).',
    )
  }
  return time
}

const positive = (value: string): number => {
  const n = Number(value)
  if (!(n > 0)) throw new InvalidArgumentError('expected a number above 0.')
  return n
}

function withFilters(command: Command): Command {
  return storeOption(command)
    .option('--name <job>', 'only jobs of this name')
    .addOption(new Option('--reason <reason>', 'only this reason').choices(deadReasons))
    .option('--error <name>', "only when the last error's name or code is this")
    .option('--key <key>', 'only jobs with this key')
    .option('--since <time>', 'died at or after (date or age: 24h, 7d)', (v) => parseTime(v))
    .option('--until <time>', 'died before (date or age)', (v) => parseTime(v))
    .option('--json', 'print JSON')
}

function filterOf(flags: FilterFlags): DeadLetterFilter {
  return {
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.reason !== undefined && { reason: flags.reason }),
    ...(flags.error !== undefined && { error: flags.error }),
    ...(flags.key !== undefined && { key: flags.key }),
    ...(flags.since !== undefined && { since: flags.since }),
    ...(flags.until !== undefined && { until: flags.until }),
  }
}

const hasFilter = (flags: FilterFlags): boolean => Object.keys(filterOf(flags)).length > 0

function line(job: JobRecord): string {
  const died = job.finishedAt === null ? '' : new Date(job.finishedAt).toISOString()
  const error = job.lastError ? `${job.lastError.name}: ${job.lastError.message}` : ''
  return [
    job.id,
    job.name,
    job.deadReason,
    `${job.attempts} attempt${job.attempts === 1 ? '' : 's'}`,
    died,
    error.length > 80 ? `${error.slice(0, 79)}…` : error,
  ].join('  ')
}

async function withJobs<T>(flags: StoreFlags, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(flags.store, { mustExist: true })
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

const deadLettersOf = (store: Store) => createJobs({ store }).deadLetters

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('Inspect, replay and discard dead letters.')

  withFilters(dlq.command('list').description('List dead letters, oldest first.'))
    .option('--limit <n>', 'at most this many', positive, 50)
    .action((flags: FilterFlags & { limit: number }) =>
      runCommand('dlq list', () =>
        withJobs(flags, async (store) => {
          const letters = deadLettersOf(store)
          const jobs = await letters.list({ ...filterOf(flags), limit: flags.limit })
          const total = await letters.count(filterOf(flags))
          if (flags.json) return console.log(JSON.stringify(jobs, null, 2))
          for (const job of jobs) console.log(line(job))
          console.log(`${jobs.length} shown of ${total} dead letters matching`)
        }),
      ),
    )

  storeOption(
    dlq.command('show').description('Show one dead letter: payload, last error, history.'),
  )
    .addArgument(new Argument('<id>', 'job id'))
    .option('--json', 'print JSON')
    .action((id: string, flags: StoreFlags & { json?: boolean }) =>
      runCommand('dlq show', () =>
        withJobs(flags, async (store) => {
          const job = await deadLettersOf(store).get(id)
          if (flags.json) return console.log(JSON.stringify(job, null, 2))
          console.log(line(job))
          console.log(`payload: ${JSON.stringify(job.payload, null, 2)}`)
          console.log(`idempotency key: ${job.idempotencyKey}`)
          console.log('history:')
          for (const event of job.history) {
            const error = event.error ? ` ${event.error.name}: ${event.error.message}` : ''
            console.log(
              `  ${new Date(event.at).toISOString()} ${event.kind} (attempt ${event.attempt})${error}`,
            )
          }
        }),
      ),
    )

  withFilters(
    dlq
      .command('replay')
      .description('Run dead letters again: one by id, or all matching the filters.'),
  )
    .addArgument(new Argument('[id]', 'job id; omit to replay by filter'))
    .option('--all', 'with no filter, replay every dead letter')
    .option('--dry-run', 'count what would be replayed, replay nothing')
    .option('--rate <n>', 'replay at most n jobs a second', positive, 100)
    .option('--renew-key', 'give the jobs fresh idempotency keys (their effects may repeat)')
    .action(
      (
        id: string | undefined,
        flags: FilterFlags & { all?: boolean; dryRun?: boolean; rate: number; renewKey?: boolean },
      ) =>
        runCommand('dlq replay', () =>
          withJobs(flags, async (store) => {
            const letters = deadLettersOf(store)
            const renewIdempotencyKey = flags.renewKey === true
            if (id !== undefined) {
              if (flags.dryRun) await letters.get(id)
              else await letters.replay(id, { renewIdempotencyKey })
              return report(flags, { matched: 1, replayed: flags.dryRun ? 0 : 1, skipped: 0 })
            }
            requireFilter(flags, 'replay')
            const result = await letters.replayMany(filterOf(flags), {
              renewIdempotencyKey,
              perSecond: flags.rate,
              ...(flags.dryRun !== undefined && { dryRun: flags.dryRun }),
              onProgress: (p) => progress(flags, `replayed ${p.replayed + p.skipped}/${p.matched}`),
            })
            report(flags, result)
          }),
        ),
    )

  withFilters(
    dlq
      .command('discard')
      .description('Delete dead letters: one by id, or all matching the filters.'),
  )
    .addArgument(new Argument('[id]', 'job id; omit to discard by filter'))
    .option('--all', 'with no filter, discard every dead letter')
    .option('--dry-run', 'count what would be discarded, discard nothing')
    .action((id: string | undefined, flags: FilterFlags & { all?: boolean; dryRun?: boolean }) =>
      runCommand('dlq discard', () =>
        withJobs(flags, async (store) => {
          const letters = deadLettersOf(store)
          if (id !== undefined) {
            if (flags.dryRun) await letters.get(id)
            else await letters.discard(id)
            return report(flags, { matched: 1, discarded: flags.dryRun ? 0 : 1 })
          }
          requireFilter(flags, 'discard')
          report(
            flags,
            await letters.discardMany(filterOf(flags), { dryRun: flags.dryRun === true }),
          )
        }),
      ),
    )
  return dlq
}

function requireFilter(flags: FilterFlags & { all?: boolean }, verb: string): void {
  if (!hasFilter(flags) && !flags.all) {
    throw new InvalidArgumentError(
      `give a job id, a filter (--name, --reason, --error, --key, --since, --until) or --all to ${verb} every dead letter`,
    )
  }
}

function progress(flags: FilterFlags, text: string): void {
  if (!flags.json && process.stderr.isTTY) process.stderr.write(`\r${text}`)
}

function report(flags: FilterFlags & { dryRun?: boolean }, result: object): void {
  if (flags.json) return console.log(JSON.stringify({ dryRun: flags.dryRun === true, ...result }))
  if (!flags.json && process.stderr.isTTY) process.stderr.write('\n')
  const words = Object.entries(result).map(([k, v]) => `${k} ${v}`)
  console.log(`${flags.dryRun ? '(dry run) ' : ''}${words.join(' · ')}`)
}
