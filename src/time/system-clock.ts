import { watchAbort } from './abort-watch.js'
import { assertDelay, type Clock } from './clock.js'

// setTimeout silently turns larger delays into 1 ms; longer sleeps are waited out in steps.
const maxTimerDelay = 2 ** 31 - 1

function wait(ms: number, done: () => void, onTimer?: (timer: NodeJS.Timeout) => void): void {
  const step = Math.min(ms, maxTimerDelay)
  const timer = setTimeout(ms > step ? () => wait(ms - step, done, onTimer) : done, step)
  onTimer?.(timer)
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  after(ms: number, fn: () => void): () => void {
    assertDelay('after', ms)
    let timer: NodeJS.Timeout | undefined
    wait(ms, fn, (next) => (timer = next))
    return () => clearTimeout(timer)
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      assertDelay('sleep', ms)
      if (!signal) return wait(ms, resolve)
      if (signal.aborted) return reject(signal.reason)
      let timer: NodeJS.Timeout | undefined
      const unwatch = watchAbort(signal, () => {
        clearTimeout(timer)
        reject(signal.reason)
      })
      wait(
        ms,
        () => {
          unwatch()
          resolve()
        },
        (next) => (timer = next),
      )
    })
  },
})
