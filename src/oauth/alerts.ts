import type { ConnectionState } from '../stores/index.js'
import type { Clock } from '../time/index.js'

/** Sent once when a connection's health changes (never for routine refreshes). */
export interface OAuthAlert {
  type: 'oauth.connection_state'
  provider: string
  connectionId: string
  from: Exclude<ConnectionState, 'refreshing'>
  to: Exclude<ConnectionState, 'refreshing'>
  /** ISO 8601. */
  at: string
  error?: { code: string; message: string }
}

export interface AlertOptions {
  /** POSTed each alert as JSON. */
  webhookUrl?: string
  /** Extra headers of the webhook POST (an auth token of your alerting endpoint). */
  headers?: Readonly<Record<string, string>>
  /** Called with each alert, e.g. your logger. */
  log?: (alert: OAuthAlert) => void
  /** Time limit of each webhook POST. Default 5 s. */
  timeoutMs?: number
}

export interface Alerter {
  send(alert: OAuthAlert): void
  /** Resolves when every alert sent so far was delivered or given up on. */
  settled(): Promise<void>
}

/** Delivers alerts to the log function and the webhook; a failed delivery is reported, never thrown. */
export function createAlerter(
  options: AlertOptions,
  fetch: typeof globalThis.fetch,
  clock: Clock,
  onFailure: (alert: OAuthAlert, error: unknown) => void,
): Alerter {
  const pending = new Set<Promise<void>>()
  const post = async (alert: OAuthAlert, url: string): Promise<void> => {
    const controller = new AbortController()
    const cancel = clock.after(options.timeoutMs ?? 5_000, () => controller.abort())
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(alert),
        signal: controller.signal,
      })
      await response.arrayBuffer()
      if (!response.ok) throw new Error(`the alert webhook answered ${response.status}`)
    } finally {
      cancel()
    }
  }
  return {
    send(alert) {
      try {
        options.log?.(alert)
      } catch (error) {
        onFailure(alert, error)
      }
      const url = options.webhookUrl
      if (url === undefined) return
      const delivery = post(alert, url).catch((error: unknown) => onFailure(alert, error))
      pending.add(delivery)
      void delivery.finally(() => pending.delete(delivery))
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending])
    },
  }
}
