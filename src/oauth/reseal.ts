import type { Sealer } from '../credentials/index.js'
import type { ConnectionRecord, ConnectionRef, TokenStore } from '../stores/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { tokenAad } from './sealing.js'

export interface ResealReport {
  /** Connections read. */
  scanned: number
  /** Connections written with at least one token under the newest key. */
  resealed: number
  /** Connections whose tokens were all under the newest key already. */
  current: number
  /** Connections that changed while being resealed, and were read again. */
  conflicts: number
}

export interface ResealOptions {
  tokens: TokenStore
  /** A sealer with the keyring whose first key is the newest. */
  sealer: Sealer
  clock?: Clock
  signal?: AbortSignal
}

const resealed = (
  sealer: Sealer,
  ref: ConnectionRef,
  row: ConnectionRecord,
): Pick<ConnectionRecord, 'accessToken' | 'refreshToken'> => ({
  accessToken:
    row.accessToken === null ? null : sealer.reseal(row.accessToken, tokenAad(ref, 'access_token')),
  refreshToken:
    row.refreshToken === null
      ? null
      : sealer.reseal(row.refreshToken, tokenAad(ref, 'refresh_token')),
})

/**
 * Re-encrypts every stored token under the sealer's newest key, online: each connection is
 * written with compare-and-swap, so a refresh racing the pass wins and its row is read again.
 * A token that does not open stops the pass with that error (naming the row), after the rows
 * before it were written; running again resumes, skipping rows already done.
 */
export async function resealConnections(options: ResealOptions): Promise<ResealReport> {
  const { tokens, sealer } = options
  const clock = options.clock ?? systemClock
  const report: ResealReport = { scanned: 0, resealed: 0, current: 0, conflicts: 0 }
  let after: ConnectionRef | undefined
  for (;;) {
    const page = await tokens.list({ ...(after ? { after } : {}), limit: 100 })
    for (let row of page) {
      options.signal?.throwIfAborted()
      report.scanned++
      for (;;) {
        const next = resealed(sealer, row, row)
        if (next.accessToken === row.accessToken && next.refreshToken === row.refreshToken) {
          report.current++
          break
        }
        const written = await tokens.swap(row, row.generation, { ...row, ...next }, clock.now())
        if (written) {
          report.resealed++
          break
        }
        report.conflicts++
        const fresh = await tokens.get(row)
        if (!fresh) break
        row = fresh
      }
    }
    const last = page.at(-1)
    if (page.length < 100 || !last) return report
    after = { provider: last.provider, connectionId: last.connectionId }
  }
}
