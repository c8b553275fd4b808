import { Command } from 'commander'
import { openStore } from '../stores/index.js'
import { runCommand, storeOption, type StoreFlags } from './store-option.js'

export function migrateCommand(): Command {
  return storeOption(new Command('migrate'))
    .description('Bring the store to the schema this version needs (also done at every start).')
    .option('--json', 'print JSON')
    .action((flags: StoreFlags & { json?: boolean }) =>
      runCommand('migrate', async () => {
        const store = await openStore(flags.store, { migrate: false })
        try {
          const applied = await store.migrate()
          if (flags.json) console.log(JSON.stringify({ dialect: store.dialect, applied }))
          else if (applied.length === 0) console.log(`${store.dialect} store is up to date`)
          else console.log(`${store.dialect} store: applied migrations ${applied.join(', ')}`)
        } finally {
          await store.close()
        }
      }),
    )
}
