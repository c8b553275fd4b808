/** What the simulator saw on one route (`'POST /v1/charges'`) or over all of them. */
export interface RouteStats {
  requests: number
  /** Mutations (POST, PUT, PATCH, DELETE) whose effect happened. */
  executions: number
  /** Executions beyond the first for the same idempotency key: a retry that duplicated an effect. */
  duplicateExecutionsByIdempotencyKey: number
  /** Executions beyond the first for the same caller-supplied operation id. */
  duplicateExecutionsByOperation: number
  /** 429 responses sent, whether from the limiter or an injected fault. */
  rateLimited: number
  /** Injected faults by kind. */
  faults: Partial<Record<string, number>>
  /** Most requests in flight at once. */
  peakConcurrency: number
}

export interface SimulatorStats {
  routes: Record<string, RouteStats>
  total: RouteStats
  /** Calls to the token endpoint with grant_type=refresh_token, granted or not. */
  refreshes: number
}

const empty = (): RouteStats => ({
  requests: 0,
  executions: 0,
  duplicateExecutionsByIdempotencyKey: 0,
  duplicateExecutionsByOperation: 0,
  rateLimited: 0,
  faults: {},
  peakConcurrency: 0,
})

/** Counts per route and in total; `snapshot()` hands out copies. */
export class StatsRecorder {
  #routes = new Map<string, RouteStats & { inFlight: number }>()
  #total = { ...empty(), inFlight: 0 }
  #byKey = new Map<string, number>()
  #byOperation = new Map<string, number>()
  refreshes = 0

  #route(route: string): RouteStats & { inFlight: number } {
    let stats = this.#routes.get(route)
    if (!stats) this.#routes.set(route, (stats = { ...empty(), inFlight: 0 }))
    return stats
  }

  #both(route: string, update: (s: RouteStats & { inFlight: number }) => void): void {
    update(this.#route(route))
    update(this.#total)
  }

  /** A request arrived; call the returned function when it ends, however it ends. */
  begin(route: string): () => void {
    this.#both(route, (s) => {
      s.requests++
      s.inFlight++
      s.peakConcurrency = Math.max(s.peakConcurrency, s.inFlight)
    })
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.#both(route, (s) => s.inFlight--)
    }
  }

  fault(route: string, kind: string): void {
    this.#both(route, (s) => (s.faults[kind] = (s.faults[kind] ?? 0) + 1))
  }

  rateLimited(route: string): void {
    this.#both(route, (s) => s.rateLimited++)
  }

  /** A mutation's effect happened; keys are scoped by the caller (e.g. per API key). */
  executed(route: string, ids: { idempotencyKey?: string; operation?: string }): void {
    const repeat = (seen: Map<string, number>, id: string | undefined): boolean => {
      if (id === undefined) return false
      const count = (seen.get(id) ?? 0) + 1
      seen.set(id, count)
      return count > 1
    }
    const byKey = repeat(this.#byKey, ids.idempotencyKey)
    const byOperation = repeat(this.#byOperation, ids.operation)
    this.#both(route, (s) => {
      s.executions++
      if (byKey) s.duplicateExecutionsByIdempotencyKey++
      if (byOperation) s.duplicateExecutionsByOperation++
    })
  }

  snapshot(): SimulatorStats {
    const copy = ({ inFlight: _, ...s }: RouteStats & { inFlight: number }): RouteStats => ({
      ...s,
      faults: { ...s.faults },
    })
    return {
      routes: Object.fromEntries([...this.#routes].map(([route, s]) => [route, copy(s)])),
      total: copy(this.#total),
      refreshes: this.refreshes,
    }
  }
}
