import { Command } from 'commander'
import { createSealer, keyringFromEnv, encryptionKeysVariable } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { resealConnections } from '../oauth/index.js'
import { openStore } from '../stores/index.js'
import { runCommand, storeOption, type StoreFlags } from './store-option.js'

/** `seamline oauth reencrypt`: every stored token resealed under the newest key. */
export function oauthCommand(): Command {
  const oauth = new Command('oauth').description('OAuth connections kept by the token manager.')
  oauth.addCommand(
    storeOption(new Command('reencrypt'))
      .description(
        `Re-encrypt every stored OAuth token under the newest key of ${encryptionKeysVariable}, online (refreshes may run meanwhile); run it again to resume.`,
      )
      .option('--json', 'print JSON')
      .action((flags: StoreFlags & { json?: boolean }) =>
        runCommand('oauth reencrypt', async () => {
          const keyring = keyringFromEnv()
          if (keyring === undefined) {
            throw new SeamlineError('SEAM_ERR_ENCRYPTION_REQUIRED', {
              operation: 'reencrypt',
              target: 'OAuth tokens',
              reason: `refused: no encryption key is configured (${encryptionKeysVariable})`,
            })
          }
          // With a keyring the profile changes nothing: values are sealed under its newest key.
          const sealer = createSealer({ profile: 'production', keyring })
          const store = await openStore(flags.store, { mustExist: true })
          try {
            const report = await resealConnections({ tokens: store.tokens, sealer })
            if (flags.json) console.log(JSON.stringify({ keyId: keyring.currentKeyId, ...report }))
            else {
              console.log(
                `${report.resealed} of ${report.scanned} connections resealed under key ${keyring.currentKeyId} (${report.current} already were)`,
              )
            }
          } finally {
            await store.close()
          }
        }),
      ),
  )
  return oauth
}
