import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Sealer } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { createEmitter, type Events } from '../events/index.js'
import type {
  ConnectionRecord,
  ConnectionRef,
  ConnectionState,
  ConnectionWrite,
  Lease,
  Store,
} from '../stores/index.js'
import { systemClock, type Clock } from '../time/index.js'
import { createAlerter, type AlertOptions, type OAuthAlert } from './alerts.js'
import { toTokenSet, type TokenSet } from './authorization.js'
import { resolvePolicy, type TokenPolicy } from './policies.js'
import { tokenAad } from './sealing.js'
import { fingerprint, refreshAtOf } from './timing.js'
import { requestToken, type OAuthProvider, type TokenFailure } from './token-endpoint.js'

type Stable = Exclude<ConnectionState, 'refreshing'>

/** Why a refresh ran. */
export type RefreshReason = 'expiry' | 'unauthorized' | 'keep-alive' | 'forced'

export type OAuthEvents = {
  'oauth:refreshed': {
    provider: string
    connectionId: string
    reason: RefreshReason
    generation: number
    expiresAt: number
    /** Whether the provider sent a new refresh token (else the old one was kept). */
    rotated: boolean
    /** Last 6 hex digits of the new refresh token's SHA-256, to follow rotation chains. */
    refreshTokenHash?: string
  }
  'oauth:refresh-failed': {
    provider: string
    connectionId: string
    reason: RefreshReason
    kind: TokenFailure['kind']
    code: string
    message: string
  }
  /** A health change, emitted (and alerted) once, by the process whose write made it. */
  'oauth:state': OAuthAlert
  'oauth:alert-failed': { provider: string; connectionId: string; error: string }
}

export interface TokenManagerOptions {
  /** Where connections live and leases are taken: any `Store` (SQLite, PostgreSQL). */
  store: Pick<Store, 'tokens' | 'leases'>
  /** Seals tokens at rest (`createSealer`). */
  sealer: Sealer
  /** The providers by the name connections use. */
  providers: Readonly<Record<string, OAuthProvider>>
  clock?: Clock
  /** Where health changes go: a webhook and/or a log function. */
  alerts?: AlertOptions
  /** For the token endpoint and the alert webhook; default the global `fetch`. */
  fetch?: typeof globalThis.fetch
  /** This process's name on leases; default host, pid and a random id. */
  owner?: string
  /**
   * How long a refresh may hold a connection's lease. It must exceed the token request's time
   * limit plus the write of the result, so no second process takes over a live refresh.
   * Default 30 s.
   */
  leaseMs?: number
  /** Time limit of each token request. Default 10 s; at most half of `leaseMs`. */
  tokenTimeoutMs?: number
  /** After a failed refresh, none is tried again for this long (longer if Retry-After says so). Default 30 s. */
  retryAfterFailureMs?: number
  /** How often a process waiting for another's refresh looks again. Default 50 ms (plus up to as much jitter). */
  pollMs?: number
  /** How long this process reuses an access token it read before reading the store again. Default 30 s. */
  cacheMs?: number
  /** The keep-alive refreshes a refresh token after this share of its idle lifetime. Default 0.75. */
  keepAliveAt?: number
}

export interface ConnectionStatus extends ConnectionRef {
  state: ConnectionState
  generation: number
  expiresAt: number | null
  /** When `getAccessToken` will refresh ahead of expiry. */
  refreshAt: number | null
  refreshedAt: number | null
  lastError: ConnectionRecord['lastError']
  metadata: Record<string, unknown>
}

export interface SweepReport {
  checked: number
  refreshed: number
  failed: number
}

export interface TokenManager {
  readonly events: Events<OAuthEvents>
  /** Stores a newly authorized token pair (after `exchangeCode`), replacing any before it. */
  connect(
    ref: ConnectionRef,
    tokens: TokenSet,
    options?: { metadata?: Record<string, unknown> },
  ): Promise<ConnectionStatus>
  /**
   * A valid access token: the stored one while fresh, else refreshed once for every caller in
   * every process (single-flight in process, a fenced lease across processes).
   */
  getAccessToken(ref: ConnectionRef): Promise<string>
  /**
   * Call when the API answered 401 to `usedToken`. Refreshes unless another caller already
   * did; true when a different token is ready, so the request may be retried once.
   */
  onUnauthorized(ref: ConnectionRef, usedToken: string): Promise<boolean>
  /** Refreshes now, whatever the expiry; returns the new access token. */
  refresh(ref: ConnectionRef): Promise<string>
  status(ref: ConnectionRef): Promise<ConnectionStatus | undefined>
  disconnect(ref: ConnectionRef): Promise<boolean>
  /**
   * Spread into `createClient` options: each attempt asks for a token, and a 401 refreshes once
   * and retries once.
   */
  clientAuth(ref: ConnectionRef): {
    credential: () => Promise<string>
    onUnauthorized: (usedToken: string) => Promise<boolean>
  }
  /** One keep-alive pass: refreshes every refresh token nearing its provider's idle expiry. */
  sweep(): Promise<SweepReport>
  /** Runs `sweep` every `everyMs` (default 1 h) on the clock until `stop()`. */
  keepAlive(options?: { everyMs?: number }): { stop(): Promise<void> }
  /** Stops keep-alive loops and waits for alerts in flight. */
  close(): Promise<void>
}

type Need =
  | { kind: 'expiry' }
  | { kind: 'unauthorized'; used: string; reason: RefreshReason }
  | { kind: 'keep-alive'; before: number }

type Decision = { use: string } | { refresh: true }

const retry = Symbol('retry')

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'createTokenManager',
    target,
    reason,
  })
}

const describeRef = (ref: ConnectionRef): string =>
  `OAuth connection ${ref.provider}/${ref.connectionId}`

const aad = tokenAad

// What a token set tells beyond its tokens, kept in the connection's metadata.
function describeSet(set: TokenSet, into: Record<string, unknown>): Record<string, unknown> {
  into.expiresAtAssumed = set.expiresAtAssumed
  if (set.scope !== undefined) into.scope = set.scope
  if (set.tokenType !== undefined) into.tokenType = set.tokenType
  if (set.instanceUrl !== undefined) into.instanceUrl = set.instanceUrl
  if (set.refreshTokenExpiresAt !== undefined) {
    into.refreshTokenExpiresAt = set.refreshTokenExpiresAt
  } else if (set.refreshToken !== undefined) delete into.refreshTokenExpiresAt
  return into
}

const writeOf = (row: ConnectionRecord): ConnectionWrite => ({
  state: row.state,
  accessToken: row.accessToken,
  refreshToken: row.refreshToken,
  expiresAt: row.expiresAt,
  refreshedAt: row.refreshedAt,
  lastError: row.lastError,
  metadata: row.metadata,
})

// A row left `refreshing` (by a crash) was healthy before unless it carried an error.
const stableOf = (row: ConnectionRecord): Stable =>
  row.state === 'refreshing' ? (row.lastError ? 'degraded' : 'healthy') : row.state

/** Keeps OAuth connections' access tokens fresh, across every process on the store. */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { store, sealer } = options
  const clock = options.clock ?? systemClock
  const fetch = options.fetch ?? globalThis.fetch
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID()}`
  const leaseMs = options.leaseMs ?? 30_000
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 10_000
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000
  const pollMs = options.pollMs ?? 50
  const cacheMs = options.cacheMs ?? 30_000
  const keepAliveAt = options.keepAliveAt ?? 0.75
  for (const [name, value] of Object.entries({ leaseMs, tokenTimeoutMs, pollMs, cacheMs })) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw invalid(name, `must be a number of milliseconds >= 0 (got ${String(value)})`)
    }
  }
  if (tokenTimeoutMs * 2 > leaseMs) {
    throw invalid(
      'leaseMs',
      `must be at least twice tokenTimeoutMs (${tokenTimeoutMs} ms), so a lease outlives its refresh (got ${leaseMs})`,
    )
  }
  if (!(keepAliveAt > 0 && keepAliveAt < 1)) {
    throw invalid('keepAliveAt', `must be between 0 and 1 (got ${String(keepAliveAt)})`)
  }
  const policies = new Map<string, TokenPolicy>()
  for (const [name, provider] of Object.entries(options.providers)) {
    policies.set(name, resolvePolicy(provider.policy))
  }

  const events = createEmitter<OAuthEvents>()
  const alerter = createAlerter(options.alerts ?? {}, fetch, clock, (alert, error) =>
    events.emit('oauth:alert-failed', {
      provider: alert.provider,
      connectionId: alert.connectionId,
      error: error instanceof Error ? error.message : String(error),
    }),
  )
  const flights = new Map<string, Promise<string>>()
  const cache = new Map<string, { token: string; refreshAt: number; cachedAt: number }>()
  const loops = new Set<{ stop(): Promise<void> }>()
  const keyOf = (ref: ConnectionRef) => `${ref.provider}\0${ref.connectionId}`

  const providerOf = (ref: ConnectionRef): { provider: OAuthProvider; policy: TokenPolicy } => {
    const provider = options.providers[ref.provider]
    const policy = policies.get(ref.provider)
    if (provider === undefined || policy === undefined) {
      throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
        operation: 'get token of',
        target: describeRef(ref),
        reason: `failed: no provider '${ref.provider}' is configured (configured: ${Object.keys(options.providers).join(', ') || 'none'})`,
      })
    }
    return { provider, policy }
  }

  const openToken = (ref: ConnectionRef, row: ConnectionRecord): string | null =>
    row.accessToken === null ? null : sealer.open(row.accessToken, aad(ref, 'access_token'))

  const read = async (ref: ConnectionRef): Promise<ConnectionRecord> => {
    const row = await store.tokens.get(ref)
    if (!row) {
      throw new SeamlineError('SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND', {
        operation: 'get token of',
        target: describeRef(ref),
        reason: 'failed: no such connection is stored; authorize it first',
      })
    }
    return row
  }

  const reauthError = (ref: ConnectionRef, row: ConnectionRecord): SeamlineError =>
    new SeamlineError('SEAM_ERR_OAUTH_REAUTH_REQUIRED', {
      operation: 'get token of',
      target: describeRef(ref),
      reason: `failed: the grant is gone${row.lastError ? ` (${row.lastError.message})` : ''}; the user must authorize again`,
    })

  const refreshFailed = (ref: ConnectionRef, row: ConnectionRecord): SeamlineError =>
    new SeamlineError('SEAM_ERR_OAUTH_REFRESH_FAILED', {
      operation: 'refresh token of',
      target: describeRef(ref),
      reason: `failed${row.lastError ? `: ${row.lastError.message}` : ''}; no valid access token is left${row.lastError?.retryAt === undefined ? '' : ` (next try after ${new Date(row.lastError.retryAt).toISOString()})`}`,
    })

  const stillValid = (row: ConnectionRecord, now: number): boolean =>
    row.accessToken !== null && row.expiresAt !== null && now < row.expiresAt

  /** Whether the stored token serves `need`, or a refresh is due; throws for dead connections. */
  const decide = (ref: ConnectionRef, row: ConnectionRecord, need: Need): Decision => {
    if (row.state === 'reauth_required') throw reauthError(ref, row)
    const now = clock.now()
    const access = openToken(ref, row)
    const backingOff = row.lastError?.retryAt !== undefined && now < row.lastError.retryAt
    if (need.kind === 'unauthorized') {
      if (access !== null && access !== need.used) return { use: access }
      if (backingOff) throw refreshFailed(ref, row)
      return { refresh: true }
    }
    if (need.kind === 'keep-alive') {
      const recent = row.refreshedAt !== null && row.refreshedAt > need.before
      if (recent || backingOff) return access === null ? { refresh: true } : { use: access }
      return { refresh: true }
    }
    const refreshAt = refreshAtOf(row, providerOf(ref).policy)
    if (access !== null && (refreshAt === null || now < refreshAt)) return { use: access }
    if (backingOff) {
      if (access !== null && stillValid(row, now)) return { use: access }
      throw refreshFailed(ref, row)
    }
    return { refresh: true }
  }

  const remember = (ref: ConnectionRef, row: ConnectionRecord, token: string): void => {
    const refreshAt = refreshAtOf(row, providerOf(ref).policy)
    cache.set(keyOf(ref), { token, refreshAt: refreshAt ?? Infinity, cachedAt: clock.now() })
  }

  const transition = (
    ref: ConnectionRef,
    from: Stable,
    to: Stable,
    error?: { code: string; message: string },
  ): void => {
    if (from === to) return
    const alert: OAuthAlert = {
      type: 'oauth.connection_state',
      provider: ref.provider,
      connectionId: ref.connectionId,
      from,
      to,
      at: new Date(clock.now()).toISOString(),
      ...(error ? { error } : {}),
    }
    events.emit('oauth:state', alert)
    alerter.send(alert)
  }

  // The new pair must be stored before anyone uses it: a store hiccup is retried, not ignored.
  const persist = async (
    ref: ConnectionRef,
    generation: number,
    write: ConnectionWrite,
  ): Promise<ConnectionRecord | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.tokens.swap(ref, generation, write, clock.now())
      } catch (error) {
        if (attempt >= 4) throw error
        await clock.sleep(50 * 2 ** attempt)
      }
    }
  }

  /** Refreshes under the lease; `retry` when another writer changed the row first. */
  const refreshRow = async (
    ref: ConnectionRef,
    row: ConnectionRecord,
    need: Need,
  ): Promise<string | typeof retry> => {
    const { provider } = providerOf(ref)
    const before = stableOf(row)
    const marked = await store.tokens.swap(
      ref,
      row.generation,
      { ...writeOf(row), state: 'refreshing' },
      clock.now(),
    )
    if (!marked) return retry
    const oldRefresh =
      row.refreshToken === null ? null : sealer.open(row.refreshToken, aad(ref, 'refresh_token'))
    const clientCredentials = provider.grant === 'client_credentials'
    const form: Record<string, string> = clientCredentials
      ? { grant_type: 'client_credentials' }
      : { grant_type: 'refresh_token', refresh_token: oldRefresh ?? '' }
    if (clientCredentials && provider.scopes?.length) form.scope = provider.scopes.join(' ')
    const sentAt = clock.now()
    const result =
      !clientCredentials && oldRefresh === null
        ? ({
            ok: false,
            failure: {
              kind: 'grant',
              code: 'no_refresh_token',
              message: 'no refresh token is stored',
            },
          } as const)
        : await requestToken(provider, form, { clock, fetch, timeoutMs: tokenTimeoutMs })

    if (result.ok) {
      const set = toTokenSet(result.token, sentAt, provider)
      const metadata = describeSet(set, { ...marked.metadata })
      const saved = await persist(ref, marked.generation, {
        state: 'healthy',
        accessToken: sealer.seal(set.accessToken, aad(ref, 'access_token')),
        // RFC 6749 §6: a response without a refresh token leaves the old one in force.
        refreshToken:
          set.refreshToken === undefined
            ? marked.refreshToken
            : sealer.seal(set.refreshToken, aad(ref, 'refresh_token')),
        expiresAt: set.expiresAt,
        refreshedAt: sentAt,
        lastError: null,
        metadata,
      })
      // Replaced meanwhile (a new authorization): that row wins, and is read again.
      if (!saved) return retry
      events.emit('oauth:refreshed', {
        provider: ref.provider,
        connectionId: ref.connectionId,
        reason: need.kind === 'unauthorized' ? need.reason : need.kind,
        generation: saved.generation,
        expiresAt: set.expiresAt,
        rotated: set.refreshToken !== undefined && set.refreshToken !== oldRefresh,
        ...(set.refreshToken === undefined
          ? {}
          : { refreshTokenHash: fingerprint(set.refreshToken) }),
      })
      transition(ref, before, 'healthy')
      remember(ref, saved, set.accessToken)
      return set.accessToken
    }

    const { failure } = result
    events.emit('oauth:refresh-failed', {
      provider: ref.provider,
      connectionId: ref.connectionId,
      reason: need.kind === 'unauthorized' ? need.reason : need.kind,
      kind: failure.kind,
      code: failure.code,
      message: failure.message,
    })
    const now = clock.now()
    if (failure.kind === 'grant') {
      // Before declaring the grant dead: did someone else rotate the token meanwhile?
      const current = await store.tokens.get(ref)
      if (!current || current.generation !== marked.generation) return retry
      const error = { code: failure.code, message: `the token endpoint ${failure.message}` }
      const dead = await persist(ref, marked.generation, {
        ...writeOf(marked),
        state: 'reauth_required',
        lastError: { ...error, at: now },
      })
      if (!dead) return retry
      cache.delete(keyOf(ref))
      transition(ref, before, 'reauth_required', error)
      throw reauthError(ref, dead)
    }
    // Transient (or the app's own credentials): the connection is degraded, not dead.
    const retryAt = now + Math.max(failure.retryAfterMs ?? 0, retryAfterFailureMs)
    const error = { code: failure.code, message: `the token endpoint ${failure.message}` }
    const degraded = await persist(ref, marked.generation, {
      ...writeOf(marked),
      state: 'degraded',
      lastError: { ...error, at: now, retryAt },
    })
    if (!degraded) return retry
    transition(ref, before, 'degraded', error)
    const access = openToken(ref, degraded)
    if (need.kind !== 'unauthorized' && access !== null && stillValid(degraded, clock.now())) {
      return access
    }
    throw refreshFailed(ref, degraded)
  }

  const release = async (lease: Lease): Promise<void> => {
    try {
      await store.leases.release(lease)
    } catch {
      // The lease expires on its own; a failed release only delays the next refresh.
    }
  }

  /** The token for `need`, refreshing under the connection's lease when it is due. */
  const obtain = async (ref: ConnectionRef, need: Need): Promise<string> => {
    providerOf(ref)
    const stored = await read(ref)
    const first = decide(ref, stored, need)
    if ('use' in first) {
      if (need.kind === 'expiry' && stored.state !== 'degraded') remember(ref, stored, first.use)
      return first.use
    }
    const waitUntil = clock.now() + leaseMs + tokenTimeoutMs
    const name = `oauth:${ref.provider}:${ref.connectionId}`
    let changed = 0
    for (;;) {
      const lease = await store.leases.acquire(name, owner, clock.now(), leaseMs)
      if (lease) {
        try {
          // Double-checked: another process may have refreshed while this one waited.
          const row = await read(ref)
          const decision = decide(ref, row, need)
          if ('use' in decision) return decision.use
          const outcome = await refreshRow(ref, row, need)
          if (outcome !== retry) return outcome
        } finally {
          await release(lease)
        }
        if (++changed > 5) {
          throw new SeamlineError('SEAM_ERR_OAUTH_REFRESH_TIMEOUT', {
            operation: 'refresh token of',
            target: describeRef(ref),
            reason: 'failed: the connection kept changing under this refresh',
          })
        }
        continue
      }
      // Another process refreshes: while the stored token is still valid, it serves.
      const row = await read(ref)
      const decision = decide(ref, row, need)
      if ('use' in decision) return decision.use
      if (need.kind !== 'unauthorized' && stillValid(row, clock.now())) {
        const access = openToken(ref, row)
        if (access !== null) return access
      }
      if (clock.now() >= waitUntil) {
        throw new SeamlineError('SEAM_ERR_OAUTH_REFRESH_TIMEOUT', {
          operation: 'refresh token of',
          target: describeRef(ref),
          reason: `failed: another process held its refresh for over ${leaseMs + tokenTimeoutMs} ms without a fresh token`,
        })
      }
      await clock.sleep(pollMs + Math.floor(Math.random() * pollMs))
    }
  }

  // One flight per connection and need in this process: a thousand callers, one refresh.
  const flight = (ref: ConnectionRef, need: Need): Promise<string> => {
    const key = `${keyOf(ref)}\0${need.kind === 'unauthorized' ? `401:${need.used}` : need.kind}`
    const running = flights.get(key)
    if (running) return running
    const started = obtain(ref, need).finally(() => flights.delete(key))
    flights.set(key, started)
    return started
  }

  const getAccessToken = (ref: ConnectionRef): Promise<string> => {
    const cached = cache.get(keyOf(ref))
    const now = clock.now()
    if (cached && now < cached.refreshAt && now - cached.cachedAt < cacheMs) {
      return Promise.resolve(cached.token)
    }
    return flight(ref, { kind: 'expiry' })
  }

  const onUnauthorized = async (ref: ConnectionRef, usedToken: string): Promise<boolean> => {
    cache.delete(keyOf(ref))
    const token = await flight(ref, {
      kind: 'unauthorized',
      used: usedToken,
      reason: 'unauthorized',
    })
    return token !== usedToken
  }

  const statusOf = (row: ConnectionRecord): ConnectionStatus => ({
    provider: row.provider,
    connectionId: row.connectionId,
    state: row.state,
    generation: row.generation,
    expiresAt: row.expiresAt,
    refreshAt: options.providers[row.provider] ? refreshAtOf(row, providerOf(row).policy) : null,
    refreshedAt: row.refreshedAt,
    lastError: row.lastError,
    metadata: row.metadata,
  })

  // How long a refresh token lasts unused: the provider's idle lifetime, or sooner when the
  // token response said when it expires.
  const refreshLifetime = (row: ConnectionRecord): number | undefined => {
    const idle = policies.get(row.provider)?.refreshTokenIdleMs
    const expiresAt = row.metadata.refreshTokenExpiresAt
    const stated =
      typeof expiresAt === 'number' && row.refreshedAt !== null && expiresAt > row.refreshedAt
        ? expiresAt - row.refreshedAt
        : undefined
    if (idle === undefined) return stated
    return stated === undefined ? idle : Math.min(idle, stated)
  }

  const sweep = async (): Promise<SweepReport> => {
    const report: SweepReport = { checked: 0, refreshed: 0, failed: 0 }
    let after: ConnectionRef | undefined
    for (;;) {
      const page = await store.tokens.list({ ...(after ? { after } : {}), limit: 100 })
      for (const row of page) {
        report.checked++
        const lifetime = refreshLifetime(row)
        if (lifetime === undefined || row.state === 'reauth_required' || row.refreshedAt === null) {
          continue
        }
        const before = clock.now() - lifetime * keepAliveAt
        if (row.refreshedAt > before) continue
        try {
          await flight(row, { kind: 'keep-alive', before })
          // Another process may have refreshed it first; only a newer pair counts.
          const after = await store.tokens.get(row)
          if (after && after.refreshedAt !== row.refreshedAt) report.refreshed++
        } catch {
          // Reported through events and alerts; one connection's failure does not stop the pass.
          report.failed++
        }
      }
      const last = page.at(-1)
      if (page.length < 100 || !last) return report
      after = { provider: last.provider, connectionId: last.connectionId }
    }
  }

  return {
    events,
    async connect(ref, tokens, connectOptions = {}) {
      providerOf(ref)
      const now = clock.now()
      const metadata = describeSet(tokens, { ...connectOptions.metadata })
      const previous = await store.tokens.get(ref)
      const row = await store.tokens.put(
        ref,
        {
          state: 'healthy',
          accessToken: sealer.seal(tokens.accessToken, aad(ref, 'access_token')),
          refreshToken:
            tokens.refreshToken === undefined
              ? null
              : sealer.seal(tokens.refreshToken, aad(ref, 'refresh_token')),
          expiresAt: tokens.expiresAt,
          refreshedAt: now,
          lastError: null,
          metadata,
        },
        now,
      )
      cache.delete(keyOf(ref))
      if (previous) transition(ref, stableOf(previous), 'healthy')
      return statusOf(row)
    },
    getAccessToken,
    onUnauthorized,
    async refresh(ref) {
      const row = await read(ref)
      const used = openToken(ref, row) ?? ''
      cache.delete(keyOf(ref))
      return flight(ref, { kind: 'unauthorized', used, reason: 'forced' })
    },
    async status(ref) {
      const row = await store.tokens.get(ref)
      return row && statusOf(row)
    },
    async disconnect(ref) {
      cache.delete(keyOf(ref))
      return store.tokens.delete(ref)
    },
    clientAuth: (ref) => ({
      credential: () => getAccessToken(ref),
      onUnauthorized: (used) => onUnauthorized(ref, used),
    }),
    sweep,
    keepAlive({ everyMs = 60 * 60_000 } = {}) {
      const controller = new AbortController()
      const loop = (async () => {
        for (;;) {
          try {
            await clock.sleep(everyMs, controller.signal)
          } catch {
            return
          }
          await sweep().catch(() => undefined)
        }
      })()
      const handle = {
        async stop() {
          controller.abort()
          await loop
          loops.delete(handle)
        },
      }
      loops.add(handle)
      return handle
    },
    async close() {
      await Promise.all([...loops].map((loop) => loop.stop()))
      await alerter.settled()
    },
  }
}
