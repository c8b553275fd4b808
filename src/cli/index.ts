#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { checkRuntime } from './doctor.js'
import { dlqCommand } from './dlq.js'
import { migrateCommand } from './migrate.js'
import { simulateCommand } from './simulate.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
  engines: { node: string }
}

const program = new Command('seamline')
  .description('Production-grade seams between your app and the APIs it depends on.')
  .version(pkg.version)

program
  .command('doctor')
  .description('Check that this machine can run Seamline.')
  .action(() => {
    const checks = [checkRuntime(process.version, pkg.engines.node)]
    for (const check of checks) {
      console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`)
    }
    if (checks.some((c) => !c.ok)) process.exitCode = 1
  })

program.addCommand(simulateCommand())
program.addCommand(migrateCommand())
program.addCommand(dlqCommand())

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
