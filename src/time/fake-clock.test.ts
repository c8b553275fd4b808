import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { FakeClock } from './index.js'

describe('FakeClock', () => {
  it('starts at 2026-01-01T00:00:00Z unless told otherwise', () => {
    expect(new FakeClock().now()).toBe(Date.UTC(2026, 0, 1))
    expect(new FakeClock({ now: 5 }).now()).toBe(5)
    expect(new FakeClock({ now: new Date(1_000) }).now()).toBe(1_000)
  })

  it('rejects a start that is not a finite time', () => {
    expect(() => new FakeClock({ now: Number.NaN })).toThrow(
      /new FakeClock now must be a finite epoch time/,
    )
  })

  it('fires due timers in time order, ties in scheduling order, each at its own time', async () => {
    const clock = new FakeClock({ now: 0 })
    const fired: string[] = []
    const at = (name: string, ms: number): Promise<void> =>
      clock.sleep(ms).then(() => void fired.push(`${name}@${clock.now()}`))
    void at('c', 30)
    void at('a', 10)
    void at('b1', 20)
    void at('b2', 20)
    void at('late', 31)
    await clock.advance(30)
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30'])
    expect(clock.now()).toBe(30)
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(1)
    expect(fired.at(-1)).toBe('late@31')
  })

  it('fires sleeps scheduled by resumed code within the same advance', async () => {
    const clock = new FakeClock({ now: 0 })
    const ticks: number[] = []
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100)
        ticks.push(clock.now())
      }
    }
    const done = loop()
    await clock.advance(450)
    expect(ticks).toEqual([100, 200, 300, 400])
    await clock.advance(50)
    await done
    expect(ticks).toEqual([100, 200, 300, 400, 500])
  })

  it('runs after() callbacks in time order with sleeps, and cancels them', async () => {
    const clock = new FakeClock({ now: 0 })
    const seen: string[] = []
    clock.after(20, () => seen.push(`after@${clock.now()}`))
    const cancel = clock.after(10, () => seen.push('cancelled'))
    void clock.sleep(15).then(() => seen.push(`sleep@${clock.now()}`))
    cancel()
    expect(clock.pendingTimers).toBe(2)
    const late = clock.after(20, () => seen.push('late'))
    await clock.advance(20)
    expect(seen).toEqual(['sleep@15', 'after@20', 'late'])
    late() // cancelling a timer that already fired changes nothing
    expect(clock.pendingTimers).toBe(0)
    expect(() => clock.after(-1, () => {})).toThrow(/^after ms must be a finite number/)
  })

  it('does not fire a timer before its time', async () => {
    const clock = new FakeClock({ now: 0 })
    let fired = false
    void clock.sleep(100).then(() => (fired = true))
    await clock.advance(99)
    expect(fired).toBe(false)
    await clock.advance(1)
    expect(fired).toBe(true)
  })

  it('queues overlapping advances so time moves forward in one sequence', async () => {
    const clock = new FakeClock({ now: 0 })
    const seen: number[] = []
    void clock.sleep(10).then(() => seen.push(clock.now()))
    void clock.sleep(25).then(() => seen.push(clock.now()))
    await Promise.all([clock.advance(20), clock.advance(20)])
    expect(seen).toEqual([10, 25])
    expect(clock.now()).toBe(40)
  })

  it('rejects an aborted sleep with the reason and forgets its timer', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    const sleeping = clock.sleep(1_000, controller.signal)
    expect(clock.pendingTimers).toBe(1)
    controller.abort(new Error('stop'))
    await expect(sleeping).rejects.toThrow('stop')
    expect(clock.pendingTimers).toBe(0)
    await expect(clock.sleep(1, AbortSignal.abort(new Error('before')))).rejects.toThrow('before')
  })

  it('rejects bad delays with a typed error', async () => {
    const clock = new FakeClock()
    const error: unknown = await clock.sleep(-5).catch((e: unknown) => e)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_INVALID_ARGUMENT')
    expect(() => clock.advance(Number.NaN)).toThrow(/advance ms must be a finite number/)
  })

  it('leaves no listener on a long-lived signal after 100,000 sleeps, finished or aborted through it', async () => {
    const clock = new FakeClock()
    const lifetime = new AbortController()
    const finished = Array.from({ length: 100_000 }, (_, i) =>
      clock.sleep(i % 100, lifetime.signal),
    )
    await clock.advance(100)
    await Promise.all(finished)
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0)

    const aborted = Array.from({ length: 100_000 }, () =>
      clock.sleep(60_000, lifetime.signal).catch(() => 'aborted'),
    )
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(1)
    lifetime.abort()
    expect(new Set(await Promise.all(aborted))).toEqual(new Set(['aborted']))
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0)
    expect(clock.pendingTimers).toBe(0)
  })
})
