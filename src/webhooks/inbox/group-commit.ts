export interface GroupCommitOptions<Item> {
  /** Store calls in flight at once; what arrives meanwhile waits and goes in the next one. */
  maxInFlight: number
  /**
   * Items, and bytes by `bytesOf`, one call takes at most. A caller's items are never split, so a
   * caller alone may exceed them.
   */
  maxItems: number
  maxBytes: number
  /**
   * Bytes that may wait for a call. Past them a caller is turned away at once (`BacklogFullError`)
   * rather than held in memory while the store is slow or down; one caller alone always waits.
   */
  maxWaitingBytes: number
  bytesOf: (item: Item) => number
}

/** The store is behind: what waits for it already fills `maxWaitingBytes`. */
export class BacklogFullError extends Error {
  override readonly name = 'BacklogFullError'
}

interface Entry<Item, Outcome> {
  items: readonly Item[]
  bytes: number
  resolve: (outcomes: Outcome[]) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: what concurrent requests ask to store goes to the store in one call (one
 * transaction), and each caller gets back its own part of the answer. A call starts at the next
 * turn of the event loop, unless `maxInFlight` calls are still out: then what arrives waits for
 * one of them to end. So under load, batches grow instead of transactions multiplying, and a
 * burst after a stall is written in a few transactions rather than racing for connections. A
 * failure fails every caller of that batch, none of whose items was stored.
 */
export function groupCommit<Item, Outcome>(
  store: (items: readonly Item[]) => Promise<Outcome[]>,
  { maxInFlight, maxItems, maxBytes, maxWaitingBytes, bytesOf }: GroupCommitOptions<Item>,
): (items: readonly Item[]) => Promise<Outcome[]> {
  const pending: Entry<Item, Outcome>[] = []
  let waitingBytes = 0
  let inFlight = 0
  let scheduled = false

  const schedule = (): void => {
    if (scheduled || pending.length === 0 || inFlight >= maxInFlight) return
    scheduled = true
    setImmediate(flush)
  }

  // Whole entries, within the limits (at least one entry).
  const take = (): Entry<Item, Outcome>[] => {
    let [items, bytes, end] = [0, 0, 0]
    for (const entry of pending) {
      const fits = items + entry.items.length <= maxItems && bytes + entry.bytes <= maxBytes
      if (end > 0 && !fits) break
      items += entry.items.length
      bytes += entry.bytes
      end++
    }
    waitingBytes -= bytes
    return pending.splice(0, end)
  }

  function flush(): void {
    scheduled = false
    if (inFlight >= maxInFlight || pending.length === 0) return
    const batch = take()
    inFlight++
    // A store that throws instead of rejecting still fails only this batch.
    Promise.resolve()
      .then(() => store(batch.flatMap((entry) => entry.items)))
      .then(
        (outcomes) => {
          let at = 0
          for (const entry of batch) {
            entry.resolve(outcomes.slice(at, at + entry.items.length))
            at += entry.items.length
          }
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error)
        },
      )
      .finally(() => {
        inFlight--
        schedule()
      })
    schedule()
  }

  return (items) =>
    new Promise((resolve, reject) => {
      const bytes = items.reduce((sum, item) => sum + bytesOf(item), 0)
      if (pending.length > 0 && waitingBytes + bytes > maxWaitingBytes) {
        reject(new BacklogFullError(`${waitingBytes} bytes already wait to be stored`))
        return
      }
      waitingBytes += bytes
      pending.push({ items, bytes, resolve, reject })
      schedule()
    })
}
