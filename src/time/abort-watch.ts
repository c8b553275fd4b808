interface Watchers {
  readonly callbacks: Set<() => void>
  readonly listener: () => void
}

const watched = new WeakMap<AbortSignal, Watchers>()

/**
 * Calls `onAbort` once when `signal` aborts; the returned function stops watching.
 *
 * However many watchers a signal has, it carries one 'abort' listener, removed when the last
 * watcher stops: Node's EventTarget scans its listener list on every add, so one listener per
 * sleep on a long-lived signal would cost O(n^2) and warn about a leak past ten.
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let watchers = watched.get(signal)
  if (!watchers) {
    const callbacks = new Set<() => void>()
    const listener = (): void => {
      watched.delete(signal)
      for (const callback of callbacks) callback()
      callbacks.clear()
    }
    watchers = { callbacks, listener }
    watched.set(signal, watchers)
    signal.addEventListener('abort', listener, { once: true })
  }
  const { callbacks, listener } = watchers
  // A distinct entry per call, so the same function may watch twice and stop independently.
  const entry = (): void => onAbort()
  callbacks.add(entry)
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return
    watched.delete(signal)
    signal.removeEventListener('abort', listener)
  }
}
