import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { retryBudget } from './index.js'

describe('retryBudget', () => {
  it('allows the minimum when quiet, then retries up to the ratio of recent requests', () => {
    const clock = new FakeClock({ now: 0 })
    const budget = retryBudget({ ratio: 0.2, minRetries: 2, windowMs: 10_000, clock })
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false])
    for (let i = 0; i < 50; i++) budget.recordRequest()
    const allowed = Array.from({ length: 20 }, () => budget.tryRetry()).filter(Boolean).length
    expect(allowed).toBe(8) // 20 % of 50 = 10 retries in the window, 2 already spent
  })

  it('forgets requests and retries older than the window', async () => {
    const clock = new FakeClock({ now: 0 })
    const budget = retryBudget({ ratio: 0.5, minRetries: 0, windowMs: 1_000, clock })
    for (let i = 0; i < 10; i++) budget.recordRequest()
    for (let i = 0; i < 5; i++) expect(budget.tryRetry()).toBe(true)
    expect(budget.tryRetry()).toBe(false)
    await clock.advance(1_000)
    expect(budget.tryRetry()).toBe(false) // the old requests are gone too
    budget.recordRequest()
    budget.recordRequest()
    expect(budget.tryRetry()).toBe(true)
    expect(budget.tryRetry()).toBe(false)
    await clock.advance(60_000)
    budget.recordRequest()
    budget.recordRequest()
    expect(budget.tryRetry()).toBe(true)
  })

  it('is refused with options it cannot use', () => {
    expect(() => retryBudget({ ratio: -0.1 })).toThrow(
      /^retryBudget ratio must be a finite number >= 0/,
    )
    expect(() => retryBudget({ windowMs: 0 })).toThrow(
      /^retryBudget windowMs must be a finite number > 0/,
    )
  })
})
