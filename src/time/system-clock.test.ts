import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { systemClock } from './index.js'

// Resolves after one macrotask turn: anything that settled within the current turn
// (synchronously on abort, in a microtask) has settled before it.
const nextTurn = (): Promise<'next turn'> => new Promise((r) => setImmediate(() => r('next turn')))

describe('systemClock', () => {
  it('tells the epoch time', () => {
    const before = Date.now()
    const now = systemClock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(Date.now())
  })

  it('resolves a sleep once its timer fires and removes its listener', async () => {
    const controller = new AbortController()
    const sleeping = systemClock.sleep(1, controller.signal)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    await expect(sleeping).resolves.toBeUndefined()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('rejects with the abort reason within the same turn as the abort', async () => {
    const controller = new AbortController()
    const sleeping = systemClock.sleep(60_000, controller.signal)
    const reason = new Error('shutting down')
    controller.abort(reason)
    await expect(Promise.race([sleeping.catch((e: unknown) => e), nextTurn()])).resolves.toBe(
      reason,
    )
  })

  it('calls an after() callback once its timer fires, and never once cancelled', async () => {
    const seen: string[] = []
    systemClock.after(1, () => seen.push('fired'))
    const cancel = systemClock.after(1, () => seen.push('cancelled'))
    cancel()
    await new Promise((r) => setTimeout(r, 10))
    expect(seen).toEqual(['fired'])
  })

  it('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('already gone')
    await expect(systemClock.sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason)
  })

  it('rejects a delay that is negative, not finite or not a number with a typed error', async () => {
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      const error: unknown = await systemClock.sleep(ms).catch((e: unknown) => e)
      expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_INVALID_ARGUMENT')
      expect((error as Error).message).toMatch(
        /^sleep ms must be a finite number of milliseconds >= 0/,
      )
    }
  })

  it('waits out delays beyond the 2^31-1 ms timer limit instead of firing after 1 ms', async () => {
    const controller = new AbortController()
    let settled = false
    const sleeping = systemClock
      .sleep(2 ** 31 + 5, controller.signal)
      .catch(() => undefined)
      .finally(() => (settled = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(settled).toBe(false)
    controller.abort()
    await sleeping
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('leaves no listener on a long-lived signal after 100,000 sleeps, finished or aborted through it', async () => {
    const lifetime = new AbortController()
    const finished = Array.from({ length: 100_000 }, () => systemClock.sleep(0, lifetime.signal))
    await Promise.all(finished)
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0)

    const shared = Array.from({ length: 100_000 }, () =>
      systemClock.sleep(60_000, lifetime.signal).catch(() => 'aborted'),
    )
    // One listener carries every pending sleep, however many there are.
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(1)
    lifetime.abort()
    expect(new Set(await Promise.all(shared))).toEqual(new Set(['aborted']))
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0)
  })
})
