import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { RateLimitedError } from '../policies/index.js'
import { createLimiter, type Permit, type QuotaStore, type Taken } from './index.js'

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('limiter', () => {
  it('admits a burst up to the limit, then the next call when the oldest leaves the window', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 3, windowMs: 1_000 }],
      clock,
    })
    for (let i = 0; i < 3; i++) await limiter.acquire()
    await clock.advance(400)
    let fourth = -1
    void limiter.acquire().then(() => (fourth = clock.now()))
    await clock.advance(599)
    expect(fourth).toBe(-1)
    await clock.advance(1)
    expect(fourth).toBe(1_000)
  })

  it('checks and consumes every quota together (Xero: per minute, per day, in flight)', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [
        { name: 'minute', limit: 60, windowMs: 60_000 },
        { name: 'day', limit: 2, windowMs: 86_400_000 },
        { name: 'concurrent', limit: 1 },
      ],
      clock,
    })
    const first = await limiter.acquire()
    let second: Permit | undefined
    void limiter.acquire().then((p) => (second = p))
    await tick()
    expect(second).toBeUndefined() // one in flight already
    first.release()
    await tick()
    expect(second).toBeDefined()
    second!.release()
    let third = false
    void limiter.acquire().then(() => (third = true))
    await clock.advance(60_000)
    expect(third).toBe(false) // the minute has room, the day does not
    expect(await limiter.usage()).toEqual({
      minute: { used: 0, limit: 60 },
      day: { used: 2, limit: 2 },
      concurrent: { used: 0, limit: 1 },
    })
    await clock.advance(86_400_000 - 60_000)
    expect(third).toBe(true)
  })

  it('reserves an estimated cost and settles the actual one, freeing the difference', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'tokens', limit: 1_000, windowMs: 60_000 }],
      clock,
    })
    const big = await limiter.acquire({ cost: { tokens: 900 } })
    let next = false
    void limiter.acquire({ cost: { tokens: 300 } }).then(() => (next = true))
    await tick()
    expect(next).toBe(false)
    big.release({ tokens: 400 }) // used fewer than reserved
    await tick()
    expect(next).toBe(true)
    expect((await limiter.usage()).tokens).toEqual({ used: 700, limit: 1_000 })
  })

  it('serves waiters first in, first out: a large call is not starved by small ones behind it', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'units', limit: 10, windowMs: 1_000 }],
      clock,
    })
    await limiter.acquire({ cost: { units: 8 } })
    const order: string[] = []
    void limiter.acquire({ cost: { units: 5 } }).then(() => order.push('large'))
    void limiter.acquire({ cost: { units: 1 } }).then(() => order.push('small'))
    await tick()
    expect(order).toEqual([]) // the small one would fit, but waits its turn
    await clock.advance(1_000)
    expect(order).toEqual(['large', 'small'])
  })

  it('lets an aborted waiter leave the queue at once, and serves the next', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({ quotas: [{ name: 'concurrent', limit: 1 }], clock })
    const held = await limiter.acquire()
    const controller = new AbortController()
    const leaving = limiter.acquire({ signal: controller.signal }).catch((e: unknown) => e)
    let next: Permit | undefined
    void limiter.acquire().then((p) => (next = p))
    await tick()
    expect(limiter.waiting).toBe(2)
    controller.abort(new Error('gave up'))
    expect(await leaving).toMatchObject({ message: 'gave up' })
    expect(limiter.waiting).toBe(1)
    held.release()
    await tick()
    expect(next).toBeDefined()
    expect(clock.pendingTimers).toBe(0)
  })

  it('gives up on a queued call when its wait runs past maxWaitMs', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({ quotas: [{ name: 'concurrent', limit: 1 }], clock })
    const held = await limiter.acquire()
    const waiting = limiter.acquire({ maxWaitMs: 500 }).catch((e: unknown) => e)
    await clock.advance(500)
    const error = await waiting
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as Error).message).toBe(
      'acquire limiter waited its turn for 500 ms, as long as it may',
    )
    expect(limiter.waiting).toBe(0)
    held.release()
    expect(clock.pendingTimers).toBe(0)
  })

  it('holds every call during a pause the provider asked for', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 100, windowMs: 1_000 }],
      clock,
    })
    limiter.pause(5_000, 'Retry-After on a 429')
    let admitted = -1
    void limiter.acquire().then(() => (admitted = clock.now()))
    await clock.advance(4_999)
    expect(admitted).toBe(-1)
    await clock.advance(1)
    expect(admitted).toBe(5_000)
  })

  it('learns from what the provider reports, never above the configured limit', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'hour', limit: 5_000, windowMs: 3_600_000 }],
      clock,
    })
    await limiter.acquire()
    // Another process used 1,999 of the hour: the provider says 3,000 remain.
    limiter.observe('hour', { limit: 5_000, remaining: 3_000 })
    expect((await limiter.usage()).hour).toEqual({ used: 2_000, limit: 5_000 })
    limiter.observe('hour', { limit: 1_000 })
    expect((await limiter.usage()).hour?.limit).toBe(1_000)
    limiter.observe('hour', { limit: 9_000 })
    expect((await limiter.usage()).hour?.limit).toBe(5_000)
  })

  it('halves the rate on a bare 429 and wins it back one unit at a time', async () => {
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 8, windowMs: 1_000 }],
      clock: new FakeClock(),
    })
    limiter.throttle('limited', 'second')
    expect((await limiter.usage()).second?.limit).toBe(4)
    limiter.throttle('limited', 'second')
    limiter.throttle('limited', 'second')
    limiter.throttle('limited', 'second')
    expect((await limiter.usage()).second?.limit).toBe(1)
    for (let i = 0; i < 20; i++) limiter.throttle('ok', 'second')
    expect((await limiter.usage()).second?.limit).toBeGreaterThan(1)
    for (let i = 0; i < 1_000; i++) limiter.throttle('ok', 'second')
    expect((await limiter.usage()).second?.limit).toBe(8)
  })

  it('refuses quotas and costs it cannot honour, naming them', async () => {
    expect(() => createLimiter({ quotas: [{ name: 'x', limit: 0, windowMs: 1 }] })).toThrow(
      /^limiter quotas\.x\.limit must be a positive number/,
    )
    const limiter = createLimiter({ quotas: [{ name: 'tokens', limit: 10, windowMs: 1_000 }] })
    await expect(limiter.acquire({ cost: { tokens: 11 } })).rejects.toThrow(
      /cost\.tokens is 11, more than the quota's whole limit of 10/,
    )
    await expect(limiter.acquire({ cost: { tokens: -1 } })).rejects.toThrow(
      /cost\.tokens must be a finite number >= 0/,
    )
  })

  it('never admits more than a quota’s limit in any window, whatever the arrivals and costs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 400 }),
            cost: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (arrivals) => {
          const clock = new FakeClock({ now: 0 })
          const limit = 6
          const windowMs = 1_000
          const limiter = createLimiter({ quotas: [{ name: 'units', limit, windowMs }], clock })
          const admitted: { at: number; cost: number }[] = []
          const pending: Promise<void>[] = []
          for (const { gap, cost } of arrivals) {
            await clock.advance(gap)
            pending.push(
              limiter
                .acquire({ cost: { units: cost } })
                .then(() => void admitted.push({ at: clock.now(), cost })),
            )
          }
          while (admitted.length < arrivals.length) await clock.advance(100)
          await Promise.all(pending)
          for (const start of admitted) {
            const inWindow = admitted.filter((a) => a.at >= start.at && a.at < start.at + windowMs)
            if (inWindow.reduce((sum, a) => sum + a.cost, 0) > limit) return false
          }
          return true
        },
      ),
      { numRuns: 60 },
    )
  })

  it('counts units the provider says were used elsewhere until the provider restores them', async () => {
    const clock = new FakeClock({ now: 0 })
    const limiter = createLimiter({
      quotas: [{ name: 'hour', limit: 5_000, windowMs: 3_600_000, reportedAs: 'core' }],
      clock,
    })
    // GitHub: none left of the hour, and it resets in five minutes (not a whole hour from now).
    limiter.learn([{ name: 'core', limit: 5_000, remaining: 0, resetMs: 300_000 }])
    expect((await limiter.usage()).hour).toEqual({ used: 5_000, limit: 5_000 })
    let admitted = -1
    void limiter.acquire().then(() => (admitted = clock.now()))
    await clock.advance(299_999)
    expect(admitted).toBe(-1)
    await clock.advance(1)
    expect(admitted).toBe(300_000)
  })

  it('matches a reported window by reportedAs, else by name, else by its length', () => {
    const limiter = createLimiter({
      quotas: [
        { name: 'rpm', limit: 500, windowMs: 60_000, reportedAs: 'requests' },
        { name: 'tokens', limit: 90_000, windowMs: 60_000 },
        { name: 'day', limit: 10_000, windowMs: 86_400_000 },
      ],
    })
    expect(limiter.quotaFor({ name: 'requests' })).toBe('rpm')
    expect(limiter.quotaFor({ name: 'tokens' })).toBe('tokens')
    expect(limiter.quotaFor({ name: 'daily', windowMs: 86_400_000 })).toBe('day')
    expect(limiter.quotaFor({ name: 'secondly', windowMs: 1_000 })).toBeUndefined()
  })

  it('recovers from a bare 429 only up to the limit the provider last reported', async () => {
    const limiter = createLimiter({
      quotas: [{ name: 'second', limit: 10, windowMs: 1_000 }],
      clock: new FakeClock(),
    })
    limiter.observe('second', { limit: 6 })
    limiter.throttle('limited')
    expect((await limiter.usage()).second?.limit).toBe(3)
    for (let i = 0; i < 1_000; i++) limiter.throttle('ok')
    expect((await limiter.usage()).second?.limit).toBe(6)
    limiter.observe('second', { limit: 50 }) // the provider raised it: up to the configured cap
    expect((await limiter.usage()).second?.limit).toBe(10)
  })

  it('gives every unit back when a waiter leaves while a shared store is answering for it', async () => {
    const answers: ((taken: Taken) => void)[] = []
    const released: unknown[] = []
    const store: QuotaStore = {
      shared: true,
      take: () => new Promise<Taken>((resolve) => answers.push(resolve)),
      raise: () => undefined,
      pause: () => undefined,
      used: () => [0],
    }
    const limiter = createLimiter({
      quotas: [{ name: 'minute', limit: 10, windowMs: 60_000 }],
      store: () => store,
      clock: new FakeClock(),
    })
    const controller = new AbortController()
    const leaving = limiter.acquire({ signal: controller.signal }).catch((e: unknown) => e)
    controller.abort(new Error('gone'))
    expect(await leaving).toMatchObject({ message: 'gone' })
    answers[0]!({ ok: true, release: (actual) => released.push(actual) })
    await tick()
    expect(released).toEqual([[0]]) // its window units are settled at nothing
    expect(limiter.waiting).toBe(0)
  })
})
