import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { deadlineOf, scopeDeadline, type Abortable } from './deadline.js'

const never = new Promise<never>(() => {})

describe('scopeDeadline', () => {
  it('bounds work by its deadline: the work’s own result until then, the reason after', async () => {
    const clock = new FakeClock({ now: 0 })
    const done = scopeDeadline(undefined, 1_000, clock, () => new Error('late'))
    expect(await done.bound(Promise.resolve('ok'))).toBe('ok')
    done.dispose()
    expect(clock.pendingTimers).toBe(0)

    const hanging = scopeDeadline(undefined, 1_000, clock, () => new Error('late'))
    const outcome = hanging.bound(never).catch((e: unknown) => e)
    await clock.advance(1_000)
    expect(await outcome).toMatchObject({ message: 'late' })
    expect(hanging.signal.aborted).toBe(true)
    await expect(hanging.bound(Promise.resolve('too late'))).rejects.toThrow('late')
    await expect(hanging.stopped).rejects.toThrow('late')
  })

  it('ends bound work and `stopped` at once with the parent’s reason', async () => {
    const clock = new FakeClock({ now: 0 })
    const parent = new AbortController()
    const scope = scopeDeadline(parent.signal, 1_000, clock)
    const stopped = scope.stopped.catch((e: unknown) => e)
    const bound = scope.bound(never).catch((e: unknown) => e)
    parent.abort(new Error('gone'))
    expect(await bound).toMatchObject({ message: 'gone' })
    expect(await stopped).toMatchObject({ message: 'gone' })
    scope.dispose()
  })

  it('marks its deadline on an AbortSignal, and aborts a stand-in controller without marking it', async () => {
    const clock = new FakeClock({ now: 0 })
    const outer = scopeDeadline(undefined, 500, clock)
    expect(deadlineOf(outer.signal)).toBe(500)
    expect(deadlineOf(scopeDeadline(outer.signal, 1_000, clock).signal)).toBe(500)

    const aborted: unknown[] = []
    const standIn = { aborted: false } as unknown as AbortSignal
    const controller: Abortable = { signal: standIn, abort: (why) => aborted.push(why) }
    const scope = scopeDeadline(undefined, 100, clock, () => 'late', controller)
    expect(deadlineOf(standIn)).toBeUndefined()
    await clock.advance(100)
    expect(aborted).toEqual(['late'])
    scope.dispose()
  })
})
