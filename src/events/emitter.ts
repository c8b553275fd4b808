export type EventMap = Record<string, unknown>

export type Listener<T> = (event: T) => void

/** Where listeners subscribe; `on` returns the function that unsubscribes. */
export interface Events<E extends EventMap> {
  on<K extends keyof E & string>(name: K, listener: Listener<E[K]>): () => void
}

export interface Emitter<E extends EventMap> extends Events<E> {
  emit<K extends keyof E & string>(name: K, event: E[K]): void
  /** True when anyone listens, so an event that is costly to build can be skipped. */
  listens(name: keyof E & string): boolean
}

/**
 * A small typed emitter. A listener that throws is reported as a process warning and does not
 * stop the others or the operation that emitted: observing a failure must not cause one.
 */
export function createEmitter<E extends EventMap>(): Emitter<E> {
  const listeners = new Map<string, Set<Listener<never>>>()
  return {
    on(name, listener) {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      // Wrapped so the same function may subscribe twice and unsubscribe each independently.
      const entry: Listener<E[typeof name]> = (event) => listener(event)
      set.add(entry)
      return () => void set.delete(entry)
    },
    emit(name, event) {
      const set = listeners.get(name)
      if (!set) return
      for (const listener of set) {
        try {
          ;(listener as Listener<E[typeof name]>)(event)
        } catch (error) {
          process.emitWarning(`a listener for "${name}" threw: ${String(error)}`, 'SeamlineWarning')
        }
      }
    },
    listens: (name) => (listeners.get(name)?.size ?? 0) > 0,
  }
}
