/**
 * Group commit: what concurrent requests ask to store in the same turn of the event loop goes to
 * the store in one call (one transaction), and each caller gets back its own part of the answer.
 * A failure fails every caller of that batch, none of whose items was stored.
 */
export function groupCommit<Item, Outcome>(
  store: (items: readonly Item[]) => Promise<Outcome[]>,
): (items: readonly Item[]) => Promise<Outcome[]> {
  let pending: {
    items: readonly Item[]
    resolve: (o: Outcome[]) => void
    reject: (e: unknown) => void
  }[] = []
  const flush = (): void => {
    const batch = pending
    pending = []
    store(batch.flatMap((entry) => entry.items)).then(
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
  }
  return (items) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push({ items, resolve, reject })
    })
}
