/** The health of an OAuth connection; the database holds the same values under a `CHECK`. */
export const connectionStates = ['healthy', 'refreshing', 'degraded', 'reauth_required'] as const
export type ConnectionState = (typeof connectionStates)[number]

/** Which connection: the provider and the app's id for the account it connects (tenant, user…). */
export interface ConnectionRef {
  provider: string
  connectionId: string
}

/** The last failure of a connection, kept to tell `degraded` apart and to back off. */
export interface ConnectionError {
  /** A `SEAM_ERR_*` code, or the token endpoint's `error` (`invalid_grant`…). */
  code: string
  message: string
  at: number
  /** No refresh is tried before this time (a token endpoint's Retry-After, or a backoff). */
  retryAt?: number
}

/** What a writer sets on a connection; tokens are sealed values, never plaintext. */
export interface ConnectionWrite {
  state: ConnectionState
  accessToken: string | null
  refreshToken: string | null
  /** When the access token expires (epoch ms); null when unknown. */
  expiresAt: number | null
  /** When the token pair was last obtained (epoch ms). */
  refreshedAt: number | null
  lastError: ConnectionError | null
  metadata: Record<string, unknown>
}

export interface ConnectionRecord extends ConnectionRef, ConnectionWrite {
  /** Grows by one with every write: writers compare-and-swap on it. */
  generation: number
  createdAt: number
  updatedAt: number
}

/**
 * OAuth connections and their sealed token pairs. Every write but `put` is a compare-and-swap on
 * `generation`, so of two writers that read the same row only one wins.
 */
export interface TokenStore {
  get(ref: ConnectionRef): Promise<ConnectionRecord | undefined>
  /**
   * Creates the connection, or replaces it whatever its generation (a new authorization);
   * the stored generation grows either way.
   */
  put(ref: ConnectionRef, write: ConnectionWrite, now: number): Promise<ConnectionRecord>
  /**
   * Writes only if the stored generation is still `generation`, and then sets it to
   * `generation + 1`. Returns the new record, or null when another writer came first.
   */
  swap(
    ref: ConnectionRef,
    generation: number,
    write: ConnectionWrite,
    now: number,
  ): Promise<ConnectionRecord | null>
  /** Connections in (provider, connection id) order, after `after` when given. */
  list(options: { after?: ConnectionRef; limit: number }): Promise<ConnectionRecord[]>
  /** How many connections each provider has in each state (for health gauges). */
  countByState(): Promise<{ provider: string; state: ConnectionState; count: number }[]>
  delete(ref: ConnectionRef): Promise<boolean>
}
