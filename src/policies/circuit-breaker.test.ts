import { getEventListeners } from 'node:events'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { FakeClock, systemClock } from '../time/index.js'
import {
  backoff,
  BulkheadFullError,
  circuitBreaker,
  CircuitOpenError,
  retry,
  RetriesExhaustedError,
  wrap,
  type CircuitBreaker,
  type CircuitBreakerEvents,
} from './index.js'

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length
// Resolves after one macrotask turn: whatever settled within the current turn has settled before.
const nextTurn = (): Promise<'next turn'> => new Promise((r) => setImmediate(() => r('next turn')))

const down = (): Promise<never> => Promise.reject(new Error('down'))
const fail = (breaker: CircuitBreaker): Promise<unknown> =>
  breaker.execute(down).catch((e: unknown) => e)
const succeed = (breaker: CircuitBreaker): Promise<unknown> => breaker.execute(async () => 'ok')

// Work that runs until the test settles it.
function pending<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function transitions(breaker: CircuitBreaker): string[] {
  const seen: string[] = []
  breaker.events.on('circuit:state', (e) => seen.push(`${e.from}>${e.to}: ${e.reason}`))
  return seen
}

describe('circuitBreaker', () => {
  it('opens after consecutiveFailures in a row, and a success in between starts the count again', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ name: 'stripe', consecutiveFailures: 3, clock })
    const seen = transitions(breaker)
    await fail(breaker)
    await fail(breaker)
    await succeed(breaker)
    await fail(breaker)
    await fail(breaker)
    expect(breaker.state).toBe('closed')
    await fail(breaker)
    expect(breaker.state).toBe('open')
    expect(seen).toEqual(['closed>open: 3 consecutive failures'])
  })

  it('refuses at once while open, without running the work, saying when it will probe', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({
      name: 'stripe',
      consecutiveFailures: 2,
      openMs: 30_000,
      clock,
    })
    const rejected: CircuitBreakerEvents['circuit:rejected'][] = []
    breaker.events.on('circuit:rejected', (e) => rejected.push(e))
    await fail(breaker)
    await fail(breaker)
    await clock.advance(18_000)
    let ran = false
    const error = await breaker
      .execute(async () => {
        ran = true
      })
      .catch((e: unknown) => e)
    expect(ran).toBe(false)
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_CIRCUIT_OPEN')
    expect((error as Error).message).toBe(
      'run stripe refused: the circuit is open after 2 consecutive failures; next probe in 12000 ms',
    )
    expect((error as CircuitOpenError).retryAfterMs).toBe(12_000)
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'CircuitOpenError',
      retryAfterMs: 12_000,
    })
    expect(rejected).toEqual([{ name: 'stripe', retryAfterMs: 12_000 }])
  })

  it('opens on the failure rate only once the window holds minimumThroughput calls', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({
      name: 'github',
      failureRate: 0.5,
      windowMs: 10_000,
      minimumThroughput: 6,
      clock,
    })
    const seen = transitions(breaker)
    for (let i = 0; i < 5; i++) await fail(breaker) // 100 % of 5 calls: too few to judge
    expect(breaker.state).toBe('closed')
    await fail(breaker)
    expect(breaker.state).toBe('open')
    expect(seen).toEqual(['closed>open: a 100% failure rate (6 of 6 calls in 10000 ms)'])
  })

  it('does not open while failures stay under the rate', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ failureRate: 0.5, minimumThroughput: 4, clock })
    for (let i = 0; i < 20; i++) {
      await succeed(breaker)
      await succeed(breaker)
      await fail(breaker) // one in three
    }
    expect(breaker.state).toBe('closed')
  })

  it('forgets failures older than the rolling window', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({
      failureRate: 0.5,
      windowMs: 10_000,
      minimumThroughput: 4,
      clock,
    })
    for (let i = 0; i < 3; i++) await fail(breaker)
    await clock.advance(11_000) // the three failures have left the window
    await succeed(breaker)
    await fail(breaker)
    await succeed(breaker)
    await fail(breaker) // 2 of 4 in the window, had the old ones counted 5 of 7
    expect(breaker.state).toBe('open')
    const fresh = circuitBreaker({
      failureRate: 0.6,
      windowMs: 10_000,
      minimumThroughput: 4,
      clock,
    })
    for (let i = 0; i < 3; i++) await fail(fresh)
    await clock.advance(11_000)
    await succeed(fresh)
    await succeed(fresh)
    await fail(fresh)
    await succeed(fresh)
    await fail(fresh) // 2 of 5 = 40 %: stays closed; 5 of 8 would have opened it
    expect(fresh.state).toBe('closed')
  })

  it('half-opens after openMs; a successful probe closes it', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 5_000, clock })
    const seen = transitions(breaker)
    await fail(breaker)
    await clock.advance(4_999)
    expect(breaker.state).toBe('open')
    await clock.advance(1)
    expect(seen.at(-1)).toBe('open>half-open: was open for 5000 ms')
    expect(await succeed(breaker)).toBe('ok')
    expect(breaker.state).toBe('closed')
    expect(seen).toEqual([
      'closed>open: 1 consecutive failure',
      'open>half-open: was open for 5000 ms',
      'half-open>closed: 1 probe succeeded',
    ])
  })

  it('a failed probe opens it again for another openMs', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ name: 'xero', consecutiveFailures: 1, openMs: 5_000, clock })
    const seen = transitions(breaker)
    await fail(breaker)
    await clock.advance(5_000)
    await fail(breaker)
    expect(breaker.state).toBe('open')
    expect(seen.at(-1)).toBe('half-open>open: a failed probe')
    const error = await succeed(breaker).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      'run xero refused: the circuit is open after a failed probe; next probe in 5000 ms',
    )
  })

  it('needs every one of halfOpenProbes to succeed before it closes', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({
      consecutiveFailures: 1,
      openMs: 1_000,
      halfOpenProbes: 2,
      clock,
    })
    await fail(breaker)
    await clock.advance(1_000)
    await succeed(breaker)
    expect(breaker.state).toBe('half-open')
    await succeed(breaker)
    expect(breaker.state).toBe('closed')
  })

  it('makes calls wait for the probe while half-open, and runs them once it closes', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 1_000, clock })
    await fail(breaker)
    await clock.advance(1_000)
    const probe = pending<string>()
    const probing = breaker.execute(() => probe.promise)
    const order: string[] = []
    const waiting = [1, 2, 3].map((n) =>
      breaker.execute(async () => {
        order.push(`waiter ${n} ran in state ${breaker.state}`)
        return n
      }),
    )
    await nextTurn()
    expect(order).toEqual([])
    probe.resolve('probe ok')
    expect(await probing).toBe('probe ok')
    expect(await Promise.all(waiting)).toEqual([1, 2, 3])
    expect(order).toEqual([
      'waiter 1 ran in state closed',
      'waiter 2 ran in state closed',
      'waiter 3 ran in state closed',
    ])
  })

  it('refuses the waiting calls when the probe fails', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 1_000, clock })
    await fail(breaker)
    await clock.advance(1_000)
    const probe = pending<string>()
    const probing = breaker.execute(() => probe.promise).catch((e: unknown) => e)
    let ran = 0
    const waiting = [1, 2].map(() => breaker.execute(async () => ran++).catch((e: unknown) => e))
    probe.reject(new Error('still down'))
    expect(await probing).toMatchObject({ message: 'still down' })
    const errors = await Promise.all(waiting)
    expect(ran).toBe(0)
    for (const error of errors) {
      expect(error).toBeInstanceOf(CircuitOpenError)
      expect((error as CircuitOpenError).retryAfterMs).toBe(1_000)
    }
  })

  it('lets a waiting call go the moment its signal aborts, leaving no listener behind', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 1_000, clock })
    await fail(breaker)
    await clock.advance(1_000)
    const probe = pending<string>()
    const probing = breaker.execute(() => probe.promise)
    const controller = new AbortController()
    let ran = false
    const waiting = breaker
      .execute(async () => {
        ran = true
      }, controller.signal)
      .catch((e: unknown) => e)
    const other = breaker.execute(async () => 'other')
    expect(listeners(controller.signal)).toBe(1)
    const reason = new Error('user left')
    controller.abort(reason)
    expect(await Promise.race([waiting, nextTurn()])).toBe(reason)
    expect(listeners(controller.signal)).toBe(0)
    probe.resolve('ok')
    await probing
    expect(await other).toBe('other')
    expect(ran).toBe(false)
  })

  it('removes the listener of a waiting call once it is let through', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 1_000, clock })
    await fail(breaker)
    await clock.advance(1_000)
    const probe = pending<string>()
    const probing = breaker.execute(() => probe.promise)
    const controller = new AbortController()
    const waiting = breaker.execute(async () => 'waited', controller.signal)
    probe.resolve('ok')
    await probing
    expect(await waiting).toBe('waited')
    expect(listeners(controller.signal)).toBe(0)
  })

  it('passes the probe place to a waiting call when the probe’s caller aborts', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 1_000, clock })
    await fail(breaker)
    await clock.advance(1_000)
    const controller = new AbortController()
    const abandoned = breaker
      .execute(
        (signal) =>
          new Promise((_, reject) => watchUntilAbort(signal, () => reject(signal.reason))),
        controller.signal,
      )
      .catch((e: unknown) => e)
    const next = pending<string>()
    const waiting = breaker.execute(() => next.promise)
    controller.abort(new Error('gone'))
    expect(await abandoned).toMatchObject({ message: 'gone' })
    expect(breaker.state).toBe('half-open') // an abandoned probe is no verdict
    await nextTurn()
    next.resolve('second probe ok')
    expect(await waiting).toBe('second probe ok')
    expect(breaker.state).toBe('closed')
  })

  it('does not count the caller’s own abort as a failure', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, clock })
    const controller = new AbortController()
    const error = await breaker
      .execute(async (signal) => {
        controller.abort(new Error('cancelled'))
        throw signal.reason
      }, controller.signal)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ message: 'cancelled' })
    expect(breaker.state).toBe('closed')
    await expect(
      breaker.execute(async () => 1, AbortSignal.abort(new Error('before'))),
    ).rejects.toThrow('before')
    expect(breaker.state).toBe('closed')
  })

  it('counts a returned 5xx or 429 as a failure, as the HTTP client resolves with them', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 2, clock })
    const answer = (status: number) => breaker.execute(async () => ({ status, body: '' }))
    for (let i = 0; i < 5; i++) {
      await answer(200)
      await answer(404)
      await answer(503)
    }
    expect(breaker.state).toBe('closed')
    expect(await answer(503)).toEqual({ status: 503, body: '' }) // the value is passed on as it is
    expect(breaker.state).toBe('open')
    const limited = circuitBreaker({ consecutiveFailures: 2, clock })
    await limited.execute(async () => ({ status: 429 }))
    await limited.execute(async () => ({ status: 429 }))
    expect(limited.state).toBe('open')
  })

  it('does not count refusals by inner policies, and takes a custom isFailure', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ consecutiveFailures: 1, clock })
    const refused = new BulkheadFullError({ operation: 'run', target: 'b', reason: 'refused' })
    await breaker.execute(() => Promise.reject(refused)).catch(() => undefined)
    expect(breaker.state).toBe('closed')
    const picky = circuitBreaker({
      consecutiveFailures: 1,
      isFailure: (o) => o.ok && o.value === 'bad',
      clock,
    })
    await fail(picky)
    expect(picky.state).toBe('closed')
    await picky.execute(async () => 'bad')
    expect(picky.state).toBe('open')
  })

  it('opens longer after each failed probe with a Backoff, and starts over once closed', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({
      consecutiveFailures: 1,
      openMs: backoff({ strategy: 'none', baseMs: 1_000, capMs: 60_000 }),
      clock,
    })
    const waits: number[] = []
    breaker.events.on('circuit:rejected', (e) => waits.push(e.retryAfterMs))
    await fail(breaker)
    await succeed(breaker).catch(() => undefined)
    await clock.advance(1_000)
    await fail(breaker)
    await succeed(breaker).catch(() => undefined)
    await clock.advance(2_000)
    await fail(breaker)
    await succeed(breaker).catch(() => undefined)
    await clock.advance(4_000)
    await succeed(breaker)
    await fail(breaker)
    await succeed(breaker).catch(() => undefined)
    expect(waits).toEqual([1_000, 2_000, 4_000, 1_000])
  })

  it('arms one timer for a thousand open circuits, and half-opens each at its own time', async () => {
    const clock = new FakeClock({ now: 0 })
    const halfOpenAt = new Map<number, number>()
    const breakers = Array.from({ length: 1_000 }, (_, i) => {
      const breaker = circuitBreaker({
        name: String(i),
        consecutiveFailures: 1,
        openMs: 1_000 + ((i * 7) % 1_000), // reopen times out of creation order
        clock,
      })
      breaker.events.on('circuit:state', (e) => {
        if (e.to === 'half-open') halfOpenAt.set(i, clock.now())
      })
      return breaker
    })
    await Promise.all(breakers.map(fail))
    expect(breakers.every((b) => b.state === 'open')).toBe(true)
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(1_500)
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(500)
    expect(clock.pendingTimers).toBe(0)
    expect(halfOpenAt.size).toBe(1_000)
    for (const [i, at] of halfOpenAt) expect(at).toBe(1_000 + ((i * 7) % 1_000))
  })

  it('does not keep the process alive with the real clock while open', async () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const breaker = circuitBreaker({ consecutiveFailures: 1, openMs: 3_600_000 })
    expect(breaker.state).toBe('closed')
    await breaker.execute(down).catch(() => undefined)
    expect(breaker.state).toBe('open')
    expect(timers()).toBe(before)
    expect(systemClock.now()).toBeGreaterThan(0)
  })

  it('stops a retry loop from reaching the provider once open', async () => {
    const clock = new FakeClock({ now: 0 })
    const breaker = circuitBreaker({ name: 'openai', consecutiveFailures: 3, clock })
    const policy = wrap(
      retry({
        maxAttempts: 10,
        backoff: backoff({ strategy: 'none', baseMs: 10, capMs: 10 }),
        clock,
      }),
      breaker,
    )
    let reached = 0
    let done = false
    const running = policy
      .execute(async () => {
        reached++
        throw new Error('503')
      })
      .catch((e: unknown) => e)
      .finally(() => (done = true))
    while (!done) await clock.advance(10)
    const error = await running
    expect(reached).toBe(3)
    expect(error).toBeInstanceOf(RetriesExhaustedError)
    expect((error as RetriesExhaustedError).cause).toBeInstanceOf(CircuitOpenError)
  })

  it('refuses options it cannot work with, naming them', () => {
    expect(() => circuitBreaker({})).toThrow(
      /^circuitBreaker consecutiveFailures or failureRate must be set/,
    )
    expect(() => circuitBreaker({ consecutiveFailures: 0 })).toThrow(
      /^circuitBreaker consecutiveFailures must be a whole number >= 1 \(got 0\)/,
    )
    expect(() => circuitBreaker({ failureRate: 1.5 })).toThrow(
      /^circuitBreaker failureRate must be a number in \(0, 1\] \(got 1.5\)/,
    )
    expect(() => circuitBreaker({ consecutiveFailures: 3, windowMs: 1_000 })).toThrow(
      /^circuitBreaker windowMs only applies with failureRate/,
    )
    expect(() => circuitBreaker({ failureRate: 0.5, windowMs: 0 })).toThrow(
      /^circuitBreaker windowMs must be a finite number > 0/,
    )
    expect(() => circuitBreaker({ failureRate: 0.5, minimumThroughput: 0.5 })).toThrow(
      /^circuitBreaker minimumThroughput must be a whole number >= 1/,
    )
    expect(() => circuitBreaker({ consecutiveFailures: 1, openMs: -1 })).toThrow(
      /^circuitBreaker openMs must be a finite number >= 0 or a Backoff \(got -1\)/,
    )
    expect(() => circuitBreaker({ consecutiveFailures: 1, halfOpenProbes: 0 })).toThrow(
      /^circuitBreaker halfOpenProbes must be a whole number >= 1/,
    )
  })

  it('never runs a call while open, nor more than halfOpenProbes at once while half-open', async () => {
    type Step = { op: 'call' } | { op: 'settle'; index: number; ok: boolean } | { op: 'wait' }
    const step = fc.oneof(
      fc.constant<Step>({ op: 'call' }),
      fc.record({ op: fc.constant('settle' as const), index: fc.nat(), ok: fc.boolean() }),
      fc.constant<Step>({ op: 'wait' }),
    )
    let probesSeen = 0 // the runs must reach half-open, or the property proves nothing
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(step, { minLength: 10, maxLength: 80, size: 'max' }),
        async (probes, steps) => {
          const clock = new FakeClock({ now: 0 })
          const breaker = circuitBreaker({
            consecutiveFailures: 2,
            openMs: 100,
            halfOpenProbes: probes,
            clock,
          })
          let halfOpenPeriod = 0
          breaker.events.on('circuit:state', (e) => {
            if (e.to === 'half-open') halfOpenPeriod++
          })
          const running: { settle: (ok: boolean) => void; period: number }[] = []
          // Checked after each step: an expect() thrown inside the work would only reject the call.
          const violations: string[] = []
          for (const s of steps) {
            if (s.op === 'call') {
              void breaker
                .execute(
                  () =>
                    new Promise<void>((resolve, reject) => {
                      const state = breaker.state
                      if (state === 'open') violations.push('ran while open')
                      const period = state === 'half-open' ? halfOpenPeriod : -1
                      running.push({
                        period,
                        settle: (ok: boolean) => (ok ? resolve() : reject(new Error('x'))),
                      })
                      const probing = running.filter((r) => r.period === halfOpenPeriod).length
                      if (state === 'half-open') probesSeen++
                      if (probing > probes) violations.push(`${probing} probes at once`)
                    }),
                )
                .catch(() => undefined)
            } else if (s.op === 'settle' && running.length > 0) {
              const [entry] = running.splice(s.index % running.length, 1)
              entry?.settle(s.ok)
            } else if (s.op === 'wait') {
              await clock.advance(100)
            }
            await nextTurn()
            expect(violations).toEqual([])
          }
        },
      ),
      { numRuns: 100 },
    )
    expect(probesSeen).toBeGreaterThan(50)
  })
})

// Calls `fn` once `signal` aborts (for work that honours its signal).
function watchUntilAbort(signal: AbortSignal, fn: () => void): void {
  signal.addEventListener('abort', fn, { once: true })
}
