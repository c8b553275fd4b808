import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { isSeamlineError } from '../errors/index.js'
import { bulkhead, BulkheadFullError } from './index.js'

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length
const nextTurn = (): Promise<'next turn'> => new Promise((r) => setImmediate(() => r('next turn')))

// Work that runs until the test ends it.
function gate(): { work: () => Promise<string>; open(): void; fail(e: Error): void } {
  let open!: () => void
  let fail!: (e: Error) => void
  const promise = new Promise<string>((resolve, reject) => {
    open = () => resolve('done')
    fail = reject
  })
  return { work: () => promise, open, fail }
}

describe('bulkhead', () => {
  it('runs at most maxConcurrent at once and queues the next ones first in, first out', async () => {
    const pool = bulkhead({ maxConcurrent: 2, maxQueue: 3, name: 'xero' })
    const queued: number[] = []
    pool.events.on('bulkhead:queued', (e) => queued.push(e.queued))
    const gates = Array.from({ length: 5 }, gate)
    const started: number[] = []
    const calls = gates.map((g, i) =>
      pool.execute(() => {
        started.push(i)
        return g.work()
      }),
    )
    await nextTurn()
    expect(started).toEqual([0, 1])
    expect([pool.running, pool.queued]).toEqual([2, 3])
    expect(queued).toEqual([1, 2, 3])
    gates[1]?.open()
    await nextTurn()
    expect(started).toEqual([0, 1, 2])
    gates[0]?.open()
    await nextTurn()
    expect(started).toEqual([0, 1, 2, 3])
    for (const g of gates) g.open()
    expect(await Promise.all(calls)).toEqual(['done', 'done', 'done', 'done', 'done'])
    expect([pool.running, pool.queued]).toEqual([0, 0])
  })

  it('refuses at once when every slot and queue place is taken, naming the numbers', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, name: 'xero' })
    const rejected: unknown[] = []
    pool.events.on('bulkhead:rejected', (e) => rejected.push(e))
    const g = gate()
    const first = pool.execute(g.work)
    const second = pool.execute(g.work)
    let ran = false
    const error = await pool
      .execute(async () => {
        ran = true
      })
      .catch((e: unknown) => e)
    expect(ran).toBe(false)
    expect(error).toBeInstanceOf(BulkheadFullError)
    expect(isSeamlineError(error) && error.code).toBe('SEAM_ERR_BULKHEAD_FULL')
    expect((error as Error).message).toBe(
      'run xero refused: all 1 slots are busy and all 1 queue places are taken',
    )
    expect(rejected).toEqual([{ name: 'xero', running: 1, queued: 1 }])
    const noQueue = bulkhead({ maxConcurrent: 1 })
    const held = noQueue.execute(g.work)
    await expect(noQueue.execute(async () => 1)).rejects.toThrow(
      'run bulkhead refused: all 1 slots are busy and it queues none',
    )
    g.open()
    await Promise.all([first, second, held])
  })

  it('lets a queued call go the moment its signal aborts, and serves the next in line', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 2 })
    const g = gate()
    const first = pool.execute(g.work)
    const controller = new AbortController()
    let ran = false
    const leaving = pool
      .execute(async () => {
        ran = true
      }, controller.signal)
      .catch((e: unknown) => e)
    const next = pool.execute(async () => 'next')
    expect(pool.queued).toBe(2)
    expect(listeners(controller.signal)).toBe(1)
    const reason = new Error('user left')
    controller.abort(reason)
    expect(await Promise.race([leaving, nextTurn()])).toBe(reason)
    expect(listeners(controller.signal)).toBe(0)
    expect(pool.queued).toBe(1)
    g.open()
    expect(await first).toBe('done')
    expect(await next).toBe('next')
    expect(ran).toBe(false)
    expect([pool.running, pool.queued]).toEqual([0, 0])
  })

  it('removes the listener of a queued call once it runs', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 })
    const g = gate()
    const first = pool.execute(g.work)
    const controller = new AbortController()
    const queued = pool.execute(async () => 'ran', controller.signal)
    g.open()
    await first
    expect(await queued).toBe('ran')
    expect(listeners(controller.signal)).toBe(0)
  })

  it('frees the slot when the work throws, synchronously or not', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 })
    const g = gate()
    const first = pool.execute(g.work).catch((e: unknown) => e)
    const next = pool.execute(async () => 'next')
    g.fail(new Error('boom'))
    expect(await first).toMatchObject({ message: 'boom' })
    expect(await next).toBe('next')
    await expect(
      pool.execute(() => {
        throw new Error('at once')
      }),
    ).rejects.toThrow('at once')
    expect(pool.running).toBe(0)
  })

  it('refuses a call whose signal has already aborted, taking no slot', async () => {
    const pool = bulkhead({ maxConcurrent: 1 })
    await expect(pool.execute(async () => 1, AbortSignal.abort(new Error('gone')))).rejects.toThrow(
      'gone',
    )
    expect(pool.running).toBe(0)
  })

  it('refuses limits it cannot keep', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(
      /^bulkhead maxConcurrent must be a whole number >= 1 or Infinity \(got 0\)/,
    )
    expect(() => bulkhead({ maxConcurrent: 2, maxQueue: -1 })).toThrow(
      /^bulkhead maxQueue must be a whole number >= 0 or Infinity \(got -1\)/,
    )
  })
})
