import { randomBytes } from 'node:crypto'
import { Command } from 'commander'

/** A token of 256 random bits, its use in its prefix: `sl_proxy_…` or `sl_admin_…`. */
export const newToken = (kind: 'proxy' | 'admin'): string =>
  `sl_${kind}_${randomBytes(32).toString('base64url')}`

export function tokenCommand(): Command {
  const token = new Command('token').description('Make tokens for the gateway.')
  token
    .command('create')
    .description(
      'Print a new random token (256 bits): put it in the variable proxy.tokens names (or admin.tokenEnv, with --admin), and give it to the app.',
    )
    .option('--admin', 'a token for the admin API and the dashboard')
    .action((flags: { admin?: boolean }) => console.log(newToken(flags.admin ? 'admin' : 'proxy')))
  return token
}
