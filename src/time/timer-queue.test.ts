import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TimerQueue, type QueuedTimer } from './timer-queue.js'

const timer = (at: number, seq: number): QueuedTimer => ({
  at,
  seq,
  cancelled: false,
  fire: () => {},
})

describe('TimerQueue', () => {
  it('pops live timers by due time then creation order, whatever is pushed and cancelled', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ cancel: fc.nat() }),
      fc.record({ pop: fc.integer({ min: 0, max: 50 }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3_000 }), (ops) => {
        const queue = new TimerQueue()
        let model: QueuedTimer[] = []
        let seq = 0
        for (const o of ops) {
          if ('push' in o) {
            const t = timer(o.push, seq++)
            queue.push(t)
            model.push(t)
          } else if ('cancel' in o) {
            const t = model[o.cancel % Math.max(model.length, 1)]
            if (!t) continue
            queue.cancel(t)
            model = model.filter((m) => m !== t)
          } else {
            const expected = model
              .filter((t) => t.at <= o.pop)
              .sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
            expect(queue.popDue(o.pop)).toBe(expected)
            if (expected) model = model.filter((m) => m !== expected)
          }
          expect(queue.size).toBe(model.length)
        }
      }),
      { numRuns: 200 },
    )
  })
})
