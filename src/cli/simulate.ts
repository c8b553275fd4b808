import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import { isSeamlineError } from '../errors/index.js'
import {
  createSimulator,
  parseFaultSpec,
  type SimulatorOptions,
  type SimulatorProfileName,
  type SimulatorStats,
} from '../simulator/index.js'

// What --rate means for each profile: its own headline limit, in the provider's own unit.
const rates: Record<
  SimulatorProfileName,
  { unit: string; options: (rate: number) => SimulatorOptions }
> = {
  stripe: { unit: 'requests/s', options: (r) => ({ stripe: { ratePerSecond: r } }) },
  github: { unit: 'requests/hour', options: (r) => ({ github: { perHour: r } }) },
  shopify: { unit: 'calls leaked/s', options: (r) => ({ shopify: { leakPerSecond: r } }) },
  xero: { unit: 'requests/min per tenant', options: (r) => ({ xero: { perMinute: r } }) },
  openai: { unit: 'requests/min', options: (r) => ({ openai: { requestsPerMinute: r } }) },
  generic: {
    unit: 'requests/min',
    options: (r) => ({ generic: { quotas: [{ name: 'default', limit: r, windowSeconds: 60 }] } }),
  },
}

const wholeNumber = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number.`)
  return Number(value)
}

/** One line: what the simulator has seen so far. */
export function summaryLine({ total, refreshes }: SimulatorStats): string {
  const faults = Object.values(total.faults).reduce<number>((sum, n) => sum + (n ?? 0), 0)
  const duplicates =
    total.duplicateExecutionsByIdempotencyKey + total.duplicateExecutionsByOperation
  return [
    `requests ${total.requests}`,
    `executions ${total.executions}`,
    `duplicates ${duplicates}`,
    `429s ${total.rateLimited}`,
    `faults ${faults}`,
    `peak ${total.peakConcurrency}`,
    `refreshes ${refreshes}`,
  ].join(' · ')
}

interface SimulateFlags {
  port: number
  seed: number
  faults?: string
  rate?: number
  mode?: 'test' | 'live'
}

async function simulate(profile: SimulatorProfileName, flags: SimulateFlags): Promise<void> {
  const options: SimulatorOptions = {
    profile,
    port: flags.port,
    seed: flags.seed,
    faults: flags.faults === undefined ? [] : parseFaultSpec(flags.faults),
    ...(flags.rate === undefined ? {} : rates[profile].options(flags.rate)),
  }
  if (flags.mode) options.stripe = { ...options.stripe, mode: flags.mode }
  const sim = await createSimulator(options)
  const width = Math.max(...Object.keys(sim.credentials).map((k) => k.length))
  console.log(`Seamline simulator: ${profile} on ${sim.url} (seed ${flags.seed})`)
  for (const [name, value] of Object.entries(sim.credentials))
    console.log(`  ${name.padEnd(width)}  ${value}`)
  console.log('Stop with Ctrl-C.')

  // A terminal gets one line rewritten in place; a pipe or a log file gets a line when it changed.
  let last = ''
  const tick = setInterval(
    () => {
      const line = summaryLine(sim.stats())
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`)
      else if (line !== last) console.log(line)
      last = line
    },
    process.stdout.isTTY ? 1_000 : 10_000,
  )
  const stop = (): void => {
    clearInterval(tick)
    void sim.close().then(() => {
      process.stdout.write(`${process.stdout.isTTY ? '\r' : ''}${summaryLine(sim.stats())}\n`)
      process.exit(0)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

export function simulateCommand(): Command {
  const profiles = Object.keys(rates)
  return new Command('simulate')
    .description('Run a local provider that rate-limits, fails and replays like the real one.')
    .addArgument(new Argument('<profile>', 'provider to behave like').choices(profiles))
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', wholeNumber('--port'), 0)
    .option('--seed <seed>', 'seed for ids, keys and fault draws', wholeNumber('--seed'), 1)
    .option(
      '--faults <spec>',
      'comma-separated [ROUTE|]FAULT=PROBABILITY, e.g. "503=0.05,POST /v1/charges|reset-after=0.3"',
    )
    .option(
      '--rate <n>',
      `headline limit: ${profiles.map((p) => `${p} ${rates[p as SimulatorProfileName].unit}`).join(', ')}`,
      wholeNumber('--rate'),
    )
    .addOption(
      new Option('--mode <mode>', 'stripe: which keys are valid').choices(['test', 'live']),
    )
    .action(async (profile: SimulatorProfileName, flags: SimulateFlags) => {
      try {
        await simulate(profile, flags)
      } catch (error) {
        if (!isSeamlineError(error)) throw error
        console.error(`seamline simulate: ${error.message}`)
        process.exitCode = 2
      }
    })
}
