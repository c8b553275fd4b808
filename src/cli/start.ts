import { Command, InvalidArgumentError, Option } from 'commander'
import { isSeamlineError, SeamlineError } from '../errors/index.js'
import { createGateway, loadConfig, startDemo, type Gateway } from '../gateway/index.js'

interface StartFlags {
  config?: string
  port?: number
  host?: string
  store?: string
  demo?: boolean
  logLevel?: string
  logFormat?: 'pretty' | 'json'
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** The log as asked: the flag's level over the configuration's; pretty on a terminal. */
const logOf = (flags: StartFlags, level: string) => ({
  level: flags.logLevel ?? level,
  pretty: (flags.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty',
})

const port = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new InvalidArgumentError('expected a port from 0 to 65535.')
  return Number(value)
}

/** A host that names no interface of this machine is the configuration's mistake: named so. */
function listenFailure(error: unknown, host: string): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (code !== 'ENOTFOUND' && code !== 'EAI_AGAIN' && code !== 'EADDRNOTAVAIL') return error
  return new SeamlineError('SEAM_ERR_CONFIG_INVALID', {
    operation: 'start',
    target: `server.host (${host})`,
    reason:
      code === 'EADDRNOTAVAIL'
        ? 'is not an address of this machine'
        : 'does not resolve: give an interface of this machine (127.0.0.1, 0.0.0.0, ::)',
    cause: error,
  })
}

async function start(flags: StartFlags): Promise<void> {
  const { config: loaded, file } = await loadConfig(flags.config)
  const config = flags.store === undefined ? loaded : { ...loaded, store: flags.store }
  const host = flags.host ?? config.server.host
  const listenPort = flags.port ?? config.server.port
  let gateway: Gateway
  let stop: () => Promise<void>
  let url: string
  if (flags.demo) {
    const demo = await startDemo(config, {
      port: listenPort,
      host,
      log: logOf(flags, config.logLevel),
    })
    ;({ gateway, url } = demo)
    stop = () => demo.stop()
    console.log(`Seamline gateway (demo) on ${url}`)
    console.log(`  simulated Stripe   ${demo.simulator.url}`)
    if (demo.xero) console.log(`  simulated Xero     ${demo.xero.url}`)
    console.log(`  demo app           ${demo.appUrl}`)
    console.log(`  proxy token        ${demo.proxyToken}`)
  } else {
    gateway = await createGateway(config, { log: logOf(flags, config.logLevel) })
    url = await gateway.start(listenPort, host).catch(async (error: unknown) => {
      await gateway.stop()
      throw listenFailure(error, host)
    })
    stop = () => gateway.stop()
    console.log(`Seamline gateway on ${url}`)
  }
  console.log(`  config             ${file ?? '(none: defaults)'}`)
  console.log(`  store              ${gateway.redactor.redact(config.store)}`)
  for (const name of Object.keys(config.webhooks.sources))
    console.log(`  webhooks           POST ${url}/webhooks/${name}`)
  if (gateway.adminToken === undefined)
    console.log(`  admin API          off (set ${config.admin.tokenEnv} to turn it on)`)
  else if (flags.demo) console.log(`  admin token        ${gateway.adminToken}`)
  else console.log(`  admin token        from $${config.admin.tokenEnv}`)
  if (gateway.adminToken !== undefined) {
    console.log(`  dashboard          ${url}/ui (log in with the admin token)`)
    console.log(
      `  try                curl -H 'Authorization: Bearer <admin token>' ${url}/api/events`,
    )
  }
  console.log('Stop with Ctrl-C.')

  let stopping = false
  const shutdown = (): void => {
    if (stopping) return
    stopping = true
    stop().then(
      () => {
        console.log('Seamline gateway stopped: requests drained, jobs handed back, store closed.')
        process.exit(0)
      },
      (error: unknown) => {
        console.error(`seamline start: stopping failed: ${String(error)}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

export function startCommand(): Command {
  return new Command('start')
    .description(
      'Run the gateway: webhooks verified, deduplicated, stored and forwarded; the egress proxy with credentials and OAuth tokens; scheduled reconciliations; admin API, dashboard and metrics. Exit codes: 0 stopped by SIGINT or SIGTERM, 1 failed (a store that does not answer, a secret not set), 2 the configuration is refused.',
    )
    .option(
      '--config <file>',
      'seamline.config.{ts,mjs,js,json,yaml,yml} (default: the first found in this directory)',
    )
    .option('--port <port>', 'port to listen on (0: any free port; default from the config)', port)
    .option('--host <host>', 'interface to listen on (default from the config)')
    .option('--store <url>', 'SQLite file or postgres:// URL (default from the config)')
    .addOption(
      new Option('--log-level <level>', 'log level (default from the config: logLevel)').choices(
        logLevels,
      ),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'pretty: one readable line per entry; json: one JSON object per line (default: pretty on a terminal, else json)',
      ).choices(['pretty', 'json']),
    )
    .option(
      '--demo',
      'also run a simulated Stripe sending signed events, a demo app receiving them, and a simulated Xero connected through OAuth',
    )
    .action(async (flags: StartFlags) => {
      try {
        await start(flags)
      } catch (error) {
        if ((error as { code?: unknown }).code === 'EADDRINUSE') {
          // Whatever was started before listening (the demo's simulator) must not keep the process.
          console.error(
            `seamline start: ${(error as Error).message}; choose another --port (0: any free one)`,
          )
          process.exit(1)
        }
        if (!isSeamlineError(error)) throw error
        console.error(`seamline start: ${error.message}`)
        process.exitCode =
          error.code === 'SEAM_ERR_CONFIG_INVALID' ||
          error.code === 'SEAM_ERR_CONFIG_LOAD' ||
          error.code === 'SEAM_ERR_INVALID_ARGUMENT'
            ? 2
            : 1
      }
    })
}
