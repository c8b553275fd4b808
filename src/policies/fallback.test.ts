import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { fallback, timeout, TimeoutError } from './index.js'

describe('fallback', () => {
  it('answers with the value when the work throws, and passes a success through', async () => {
    const policy = fallback({ value: [] as string[], name: 'cached-plans' })
    const seen: unknown[] = []
    policy.events.on('fallback', (e) => seen.push(e))
    expect(await policy.execute(async () => ['pro'])).toEqual(['pro'])
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET' })
    expect(await policy.execute(() => Promise.reject(error))).toEqual([])
    expect(seen).toEqual([{ name: 'cached-plans', reason: 'threw Error ECONNRESET' }])
  })

  it('answers with what `to` makes of the error, awaited', async () => {
    const policy = fallback({ to: async (error) => `degraded: ${(error as Error).message}` })
    expect(await policy.execute(() => Promise.reject(new Error('down')))).toBe('degraded: down')
    const failing = fallback({
      to: () => {
        throw new Error('no fallback either')
      },
    })
    await expect(failing.execute(() => Promise.reject(new Error('down')))).rejects.toThrow(
      'no fallback either',
    )
  })

  it('falls back only on the errors `when` picks, rethrowing the others', async () => {
    const policy = fallback({ value: 'stale' }, (error) => error instanceof TimeoutError)
    const clock = new FakeClock({ now: 0 })
    const slow = policy.execute((signal) =>
      timeout({ ms: 100, clock }).execute(() => new Promise<string>(() => {}), signal),
    )
    await clock.advance(100)
    expect(await slow).toBe('stale')
    await expect(policy.execute(() => Promise.reject(new Error('bad request')))).rejects.toThrow(
      'bad request',
    )
  })

  it('catches work that throws before returning a promise', async () => {
    const policy = fallback({ value: 0 })
    expect(
      await policy.execute(() => {
        throw new Error('at once')
      }),
    ).toBe(0)
  })

  it('never stands in for the caller’s own abort', async () => {
    const policy = fallback({ value: 'stand-in' })
    const seen: unknown[] = []
    policy.events.on('fallback', (e) => seen.push(e))
    const controller = new AbortController()
    const reason = new Error('user left')
    const running = policy
      .execute(
        (signal) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted inside'))),
          ),
        controller.signal,
      )
      .catch((e: unknown) => e)
    controller.abort(reason)
    expect(await running).toBe(reason)
    await expect(policy.execute(async () => 1, AbortSignal.abort(reason))).rejects.toBe(reason)
    expect(seen).toEqual([])
  })
})
