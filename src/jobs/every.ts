import type { Clock } from '../time/index.js'

/** Runs `task` every `ms` on `clock`, one run at a time, until stopped. */
export function every(
  clock: Clock,
  ms: number,
  operation: string,
  report: (operation: string, error: unknown) => void,
  task: () => Promise<void>,
): { stop(): void } {
  let cancel: (() => void) | undefined
  let stopped = false
  const arm = (): void => {
    cancel = clock.after(ms, () => {
      task()
        .catch((error: unknown) => report(operation, error))
        .finally(() => {
          if (!stopped) arm()
        })
    })
  }
  arm()
  return {
    stop() {
      stopped = true
      cancel?.()
    },
  }
}
