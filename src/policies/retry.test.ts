import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import {
  backoff,
  RateLimitedError,
  retry,
  retryBudget,
  RetriesExhaustedError,
  timeout,
  wrap,
  type RetryDecision,
} from './index.js'

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
const fixedWaits = (ms: number) => backoff({ strategy: 'none', baseMs: ms, capMs: ms })

// Drives the clock until `promise` settles, in steps, letting resumed code schedule its next wait.
async function run<T>(clock: FakeClock, promise: Promise<T>, stepMs = 10): Promise<T> {
  let done = false
  void promise.then(
    () => (done = true),
    () => (done = true),
  )
  while (!done) await clock.advance(stepMs)
  return promise
}

describe('retry', () => {
  it('retries failed work until it succeeds, recording each attempt and wait', async () => {
    const clock = new FakeClock({ now: 0 })
    const policy = retry({ maxAttempts: 4, backoff: fixedWaits(100), clock })
    const scheduled: number[] = []
    policy.events.on('retry:scheduled', (e) => scheduled.push(e.waitMs))
    const times: number[] = []
    let history: readonly unknown[] = []
    const value = await run(
      clock,
      policy.execute(async (_signal, context) => {
        times.push(clock.now())
        history = context.history
        if (context.attempt < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' })
        return 'ok'
      }),
    )
    expect(value).toBe('ok')
    expect(times).toEqual([0, 100, 200])
    expect(scheduled).toEqual([100, 100])
    expect(history).toEqual([
      { attempt: 1, returned: false, reason: 'threw Error ECONNRESET', waitMs: 100 },
      { attempt: 2, returned: false, reason: 'threw Error ECONNRESET', waitMs: 100 },
      { attempt: 3, returned: true, reason: 'returned', waitMs: 0 },
    ])
  })

  it('gives up after maxAttempts with the history and the last error as cause', async () => {
    const clock = new FakeClock({ now: 0 })
    const gaveUp: string[] = []
    const policy = retry({ maxAttempts: 3, backoff: fixedWaits(50), clock, name: 'charge' })
    policy.events.on('retry:gave-up', (e) => gaveUp.push(e.reason))
    const last = new Error('third')
    let n = 0
    const error = await run(
      clock,
      policy.execute(async () => {
        n++
        throw n === 3 ? last : new Error('early')
      }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RetriesExhaustedError)
    expect((error as RetriesExhaustedError).message).toBe(
      'run charge failed after 3 attempts (no attempts left): threw Error',
    )
    expect((error as RetriesExhaustedError).cause).toBe(last)
    expect((error as RetriesExhaustedError).attempts.map((a) => a.waitMs)).toEqual([50, 50, 0])
    expect(gaveUp).toEqual(['no attempts left'])
  })

  it('goes on from a first attempt the caller made and judged, as execute would have', async () => {
    const clock = new FakeClock({ now: 0 })
    const policy = retry({ maxAttempts: 3, backoff: fixedWaits(100), clock, name: 'charge' })
    const scheduled: number[] = []
    policy.events.on('retry:scheduled', (e) => scheduled.push(e.attempt))
    const seen: number[] = []
    const error = await run(
      clock,
      policy.resume(
        {
          outcome: { ok: false, error: new Error('first') },
          decision: { retry: true, reason: 'threw Error' },
        },
        async (_signal, { attempt }) => {
          seen.push(attempt)
          throw new Error(`attempt ${attempt}`)
        },
      ),
    ).catch((e: unknown) => e)
    expect(seen).toEqual([2, 3])
    expect(scheduled).toEqual([1, 2])
    expect((error as RetriesExhaustedError).attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
    expect((error as Error).message).toBe(
      'run charge failed after 3 attempts (no attempts left): threw Error',
    )
    const final = await policy.resume(
      { outcome: { ok: true, value: 'done' }, decision: { retry: false, reason: 'ok' } },
      async () => 'never run',
    )
    expect(final).toBe('done')
  })

  it('returns a value judged retryable once attempts run out, so the caller can read it', async () => {
    const clock = new FakeClock({ now: 0 })
    const judge = (o: { ok: boolean; value?: unknown }): RetryDecision =>
      o.ok && o.value === 503
        ? { retry: true, reason: 'server error (503)' }
        : { retry: false, reason: 'ok' }
    const policy = retry({ maxAttempts: 2, backoff: fixedWaits(10), judge, clock })
    expect(
      await run(
        clock,
        policy.execute(async () => 503),
      ),
    ).toBe(503)
  })

  it('never waits past the deadline carried by its signal', async () => {
    const clock = new FakeClock({ now: 0 })
    const inner = retry({ maxAttempts: 10, backoff: fixedWaits(400), clock })
    const attempts: number[] = []
    const error = await run(
      clock,
      timeout({ ms: 1_000, clock, name: 'deadline' }).execute((signal) =>
        inner.execute(async () => {
          attempts.push(clock.now())
          throw new Error('down')
        }, signal),
      ),
    ).catch((e: unknown) => e)
    // 0, 400, 800: a fourth attempt would start at 1,200, past the deadline, so it gives up at 800.
    expect(attempts).toEqual([0, 400, 800])
    expect(error).toBeInstanceOf(RetriesExhaustedError)
    expect((error as Error).message).toMatch(/\(the deadline comes before the next attempt\)/)
    expect(clock.now()).toBeLessThan(1_000)
  })

  it('sleeps through a server-requested wait instead of its backoff', async () => {
    const clock = new FakeClock({ now: 0 })
    const judge = (o: { ok: boolean }): RetryDecision =>
      o.ok
        ? { retry: false, reason: 'ok' }
        : { retry: true, reason: 'rate limited (429)', afterMs: 2_500 }
    const times: number[] = []
    const policy = retry({ maxAttempts: 2, backoff: fixedWaits(1), judge, clock })
    await run(
      clock,
      policy.execute(async (_s, { attempt }) => {
        times.push(clock.now())
        if (attempt === 1) throw new Error('429')
        return 'ok'
      }),
      100,
    )
    expect(times).toEqual([0, 2_500])
  })

  it('fails at once with RateLimitedError when the server wait does not fit the deadline', async () => {
    const clock = new FakeClock({ now: 0 })
    const judge = (): RetryDecision => ({
      retry: true,
      reason: 'rate limited (429)',
      afterMs: 30_000,
    })
    const policy = retry({ maxAttempts: 5, judge, clock, name: 'refund' })
    const error = await timeout({ ms: 10_000, clock })
      .execute((signal) => policy.execute(async () => 'limited', signal))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfterMs).toBe(30_000)
    expect((error as Error).message).toBe(
      'run refund was asked to wait 30000 ms, more than the 10000 ms left before the deadline',
    )
    expect(clock.now()).toBe(0)
    const longWait = retry({
      judge: () => ({ retry: true, reason: '429', afterMs: 90_000 }),
      clock,
    })
    const noDeadline = await longWait.execute(async () => 'limited').catch((e: unknown) => e)
    expect((noDeadline as Error).message).toMatch(/more than the 60000 ms allowed$/)
  })

  it('stops retrying when the shared budget is spent', async () => {
    const clock = new FakeClock({ now: 0 })
    const budget = retryBudget({ ratio: 0.1, minRetries: 1, clock })
    const policy = retry({ maxAttempts: 5, backoff: fixedWaits(1), budget, clock })
    let attempts = 0
    const fail = () =>
      run(
        clock,
        policy.execute(async () => {
          attempts++
          throw new Error('down')
        }),
        1,
      ).catch((e: unknown) => e)
    const first = await fail()
    const second = await fail()
    // One retry in the budget for two requests: 2 attempts, then 1.
    expect(attempts).toBe(3)
    expect((first as Error).message).toMatch(/retry budget spent/)
    expect((second as Error).message).toMatch(/retry budget spent/)
  })

  it('stops at once when aborted during a backoff wait, with the abort reason', async () => {
    const clock = new FakeClock({ now: 0 })
    const controller = new AbortController()
    const policy = retry({ maxAttempts: 5, backoff: fixedWaits(60_000), clock })
    let attempts = 0
    const running = policy
      .execute(async () => {
        attempts++
        throw new Error('down')
      }, controller.signal)
      .catch((e: unknown) => e)
    await tick()
    expect(clock.pendingTimers).toBe(1)
    controller.abort(new Error('shutting down'))
    expect(await running).toMatchObject({ message: 'shutting down' })
    expect(attempts).toBe(1)
    expect(clock.pendingTimers).toBe(0)
  })

  it('does not retry the caller’s own abort', async () => {
    const controller = new AbortController()
    let attempts = 0
    const error = await retry({ maxAttempts: 5 })
      .execute(async (signal) => {
        attempts++
        controller.abort(new Error('cancelled'))
        throw signal.reason
      }, controller.signal)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ message: 'cancelled' })
    expect(attempts).toBe(1)
  })

  it('composes with per-attempt and overall timeouts: wrap(deadline, retry, attempt)', async () => {
    const clock = new FakeClock({ now: 0 })
    const policy = wrap(
      timeout({ ms: 5_000, clock, name: 'deadline' }),
      retry({ maxAttempts: 10, backoff: fixedWaits(100), clock }),
      timeout({ ms: 1_000, clock, name: 'attempt' }),
    )
    const starts: number[] = []
    const value = await run(
      clock,
      policy.execute(async (signal) => {
        starts.push(clock.now())
        if (starts.length < 3) return new Promise<never>(() => {}) // hangs until the attempt timeout
        signal.throwIfAborted()
        return 'third time'
      }),
      50,
    )
    expect(value).toBe('third time')
    expect(starts).toEqual([0, 1_100, 2_200])
  })

  it('refuses maxAttempts below one', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(
      /^retry maxAttempts must be a whole number >= 1/,
    )
  })
})
