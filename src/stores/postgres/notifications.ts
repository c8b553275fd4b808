import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { EnqueueSignals } from './jobs.js'
import { readStatements, run, type Queryable } from './statements.js'

const s = readStatements(
  new URL('./notifications.sql', import.meta.url),
  ['notify'],
  'seamline_notifications',
)

const channel = 'seamline_jobs'
/** PostgreSQL refuses payloads of 8000 bytes or more; longer name lists become "any name". */
const maxPayloadBytes = 7_900
const firstRetryMs = 100
const lastRetryMs = 10_000

type Listener = (names: readonly string[]) => void

export interface JobNotificationOptions {
  pool: pg.Pool
  /** Makes the (unconnected) `LISTEN` client; null sends notifications but hears none. */
  listenWith: (() => pg.Client) | null
  /** How long enqueues of this process are gathered into one `NOTIFY`. */
  delayMs: number
  onError: (error: unknown) => void
}

export interface JobNotifications extends EnqueueSignals {
  subscribe(listener: Listener): () => void
  close(): Promise<void>
}

/** `from` lets a process skip its own notifications: it told its listeners already. */
function payload(from: string, names: readonly string[]): string {
  const text = JSON.stringify({ from, names })
  return Buffer.byteLength(text) < maxPayloadBytes ? text : JSON.stringify({ from, names: ['*'] })
}

/** The names a notification carries, or `*` when it cannot be read. */
function namesIn(text: string | undefined): { from: string; names: string[] } {
  try {
    const parsed = JSON.parse(text ?? '') as { from?: unknown; names?: unknown }
    const { from, names } = parsed
    if (Array.isArray(names) && names.every((name) => typeof name === 'string')) {
      return { from: typeof from === 'string' ? from : '', names }
    }
  } catch {
    // Someone else's notification on the channel: it still means "look again".
  }
  return { from: '', names: ['*'] }
}

/**
 * Tells listeners about enqueued jobs: this process's at once, and every process through
 * `NOTIFY` on one dedicated `LISTEN` connection, opened with the first listener and reopened
 * with backoff when it drops (listeners then hear `*`, as notifications may have been missed).
 * Enqueues of one process within `delayMs` share one `NOTIFY`.
 */
export function jobNotifications(options: JobNotificationOptions): JobNotifications {
  const self = randomUUID()
  const listeners = new Set<Listener>()
  const emit = (names: readonly string[]): void => {
    for (const listener of listeners) {
      try {
        listener(names)
      } catch (error) {
        options.onError(error)
      }
    }
  }

  let gathered = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let sending: Promise<void> = Promise.resolve()
  const send = (): Promise<void> => {
    clearTimeout(timer)
    timer = undefined
    if (gathered.size === 0) return sending
    const names = [...gathered]
    gathered = new Set()
    sending = run(options.pool, s.notify, { channel, payload: payload(self, names) }).then(
      () => undefined,
      options.onError,
    )
    return sending
  }

  const connection =
    options.listenWith && listenConnection(options.listenWith, self, emit, options.onError)

  return {
    committed(names) {
      emit(names)
      for (const name of names) gathered.add(name)
      timer ??= setTimeout(() => void send(), options.delayMs).unref()
    },
    async inTransaction(db: Queryable, names) {
      // No LISTEN here to hear it after the commit: tell this process now.
      if (!connection) emit(names)
      await run(db, s.notify, { channel, payload: payload('', names) })
    },
    subscribe(listener) {
      listeners.add(listener)
      connection?.open()
      return () => void listeners.delete(listener)
    },
    async close() {
      await send()
      await connection?.close()
    },
  }
}

/** The `LISTEN` connection: opened on demand, reopened with backoff, closed once. */
function listenConnection(
  newClient: () => pg.Client,
  self: string,
  emit: Listener,
  onError: (error: unknown) => void,
): { open(): void; close(): Promise<void> } {
  let client: pg.Client | undefined
  let opening: Promise<void> | undefined
  let retry: NodeJS.Timeout | undefined
  let retryMs = firstRetryMs
  let reopening = false
  let failing = false
  let closed = false

  const lost = (lostClient: pg.Client, error?: unknown): void => {
    if (closed || (client !== undefined && client !== lostClient)) return
    client = undefined
    lostClient.removeAllListeners('notification')
    void lostClient.end().catch(() => undefined)
    if (error !== undefined && !failing) onError(error)
    failing = true
    reopening = true
    retry = setTimeout(() => void connect(), retryMs)
    retryMs = Math.min(retryMs * 2, lastRetryMs)
  }

  const connect = async (): Promise<void> => {
    retry = undefined
    const next = newClient()
    let gone = false
    const drop = (error?: unknown): void => {
      if (gone) return
      gone = true
      lost(next, error)
    }
    next.on('error', drop)
    next.on('end', () => drop())
    next.on('notification', (message) => {
      if (message.channel !== channel) return
      const { from, names } = namesIn(message.payload)
      if (from !== self) emit(names)
    })
    opening = (async () => {
      await next.connect()
      await next.query(`LISTEN ${channel}`)
    })()
    try {
      await opening
    } catch (error) {
      drop(error)
      return
    } finally {
      opening = undefined
    }
    if (closed) {
      await next.end().catch(() => undefined)
      return
    }
    client = next
    retryMs = firstRetryMs
    failing = false
    if (reopening) emit(['*'])
  }

  return {
    open() {
      if (client || opening || retry || closed) return
      void connect()
    },
    async close() {
      closed = true
      clearTimeout(retry)
      await opening?.catch(() => undefined)
      await client?.end().catch(() => undefined)
    },
  }
}
