import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { FakeClock } from '../time/index.js'
import { deadlineOf, timeout, TimeoutError } from './index.js'

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('timeout', () => {
  it('returns what the work returns in time, and carries its deadline on the signal', async () => {
    const clock = new FakeClock({ now: 0 })
    let seen: number | undefined
    const value = await timeout({ ms: 500, clock }).execute(async (signal) => {
      seen = deadlineOf(signal)
      return 'done'
    })
    expect(value).toBe('done')
    expect(seen).toBe(500)
    expect(clock.pendingTimers).toBe(0)
  })

  it('aborts the work with a TimeoutError when time runs out, and rejects even if the work ignores it', async () => {
    const clock = new FakeClock({ now: 0 })
    let aborted: unknown
    const running = timeout({ ms: 1_000, name: 'attempt', clock }).execute((signal) => {
      signal.addEventListener('abort', () => {
        aborted = signal.reason
      })
      return new Promise<never>(() => {}) // ignores its signal
    })
    const settled = running.catch((e: unknown) => e)
    await clock.advance(999)
    await tick()
    expect(aborted).toBeUndefined()
    await clock.advance(1)
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_TIMEOUT')
    expect((error as Error).message).toBe('run attempt took longer than 1000 ms')
    expect(aborted).toBe(error)
  })

  it('inside an outer timeout, ends at whichever deadline comes first, saying so', async () => {
    const clock = new FakeClock({ now: 0 })
    const outer = timeout({ ms: 300, name: 'deadline', clock })
    const inner = timeout({ ms: 1_000, name: 'attempt', clock })
    let seen: number | undefined
    const running = outer
      .execute((signal) =>
        inner.execute((s) => {
          seen = deadlineOf(s)
          return new Promise<never>(() => {})
        }, signal),
      )
      .catch((e: unknown) => e)
    await clock.advance(300)
    const error = await running
    expect(seen).toBe(300)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toMatch(
      /^run (deadline took longer than 300 ms|attempt reached the deadline set around it)/,
    )
  })

  it('passes the caller abort through, immediately and with its reason', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    const running = timeout({ ms: 10_000, clock })
      .execute(
        (signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        controller.signal,
      )
      .catch((e: unknown) => e)
    controller.abort(new Error('user left'))
    expect(await running).toMatchObject({ message: 'user left' })
    expect(clock.pendingTimers).toBe(0)
    await expect(
      timeout({ ms: 1, clock }).execute(async () => 1, AbortSignal.abort(new Error('gone'))),
    ).rejects.toThrow('gone')
  })

  it('refuses a limit it cannot keep', () => {
    expect(() => timeout({ ms: -5 })).toThrow(/^timeout ms must be a finite number >= 0/)
  })
})
