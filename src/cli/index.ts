#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { profiles, type Profile } from '../credentials/index.js'
import { checkCredentials, checkRuntime, parseCredentialSchema } from './doctor.js'
import { dlqCommand } from './dlq.js'
import { migrateCommand } from './migrate.js'
import { reconcileCommand } from './reconcile.js'
import { oauthCommand } from './oauth.js'
import { simulateCommand } from './simulate.js'
import { startCommand } from './start.js'
import { tokenCommand } from './token.js'
import { runCommand } from './store-option.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
  engines: { node: string }
}

const defaultSchemaFile = 'seamline.credentials.json'

async function readSchemaFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new InvalidArgumentError(
      `--credentials ${file} cannot be read (${typeof code === 'string' ? code : 'error'})`,
    )
  }
}

const program = new Command('seamline')
  .description('Production-grade seams between your app and the APIs it depends on.')
  .version(pkg.version)

program
  .command('doctor')
  .description(
    'Check that this machine can run Seamline, and that its credentials are set, in place and well formed (never printing them).',
  )
  .addOption(
    new Option('--profile <profile>', 'judge credentials under this profile').choices(profiles),
  )
  .option(
    '--credentials <file>',
    `a JSON schema of the credentials the app needs (default: ${defaultSchemaFile} when present)`,
  )
  .option('--env-file <file>', 'also read this .env file (refused under production)')
  .option('--json', 'print JSON')
  .action((flags: { profile?: Profile; credentials?: string; envFile?: string; json?: boolean }) =>
    runCommand('doctor', async () => {
      const schemaFile =
        flags.credentials ?? (existsSync(defaultSchemaFile) ? defaultSchemaFile : undefined)
      const schema =
        schemaFile === undefined
          ? undefined
          : parseCredentialSchema(await readSchemaFile(schemaFile), schemaFile)
      const credentials = await checkCredentials({
        ...(flags.profile ? { profile: flags.profile } : {}),
        ...(schema ? { schema } : {}),
        ...(flags.envFile ? { envFile: flags.envFile } : {}),
      })
      const checks = [checkRuntime(process.version, pkg.engines.node), ...credentials.checks]
      const ok = checks.every((c) => c.ok)
      if (flags.json) {
        const { profile, environment } = credentials
        console.log(JSON.stringify({ ok, profile, environment, checks }, null, 2))
      } else {
        for (const check of checks) {
          console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`)
        }
      }
      if (!ok) process.exitCode = 1
    }),
  )

program.addCommand(startCommand())
program
  .command('version')
  .description('Print the version of Seamline.')
  .action(() => console.log(pkg.version))
program.addCommand(simulateCommand())
program.addCommand(migrateCommand())
program.addCommand(dlqCommand())
program.addCommand(reconcileCommand())
program.addCommand(oauthCommand())
program.addCommand(tokenCommand())

// Exit codes: 0 done, 1 the operation failed, 2 the command line could not be accepted.
const overrideExit = (command: Command): void => {
  command.exitOverride()
  command.commands.forEach(overrideExit)
}
overrideExit(program)
try {
  await program.parseAsync()
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  process.exitCode = error.exitCode === 0 ? 0 : 2
}
