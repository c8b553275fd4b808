import { describe, expect, it } from 'vitest'
import { parseFaultSpec } from './fault-spec.js'

describe('parseFaultSpec', () => {
  it('reads every fault kind, with routes and probabilities', () => {
    expect(
      parseFaultSpec(
        '503=0.05, 429:7=0.1, latency:100-900=0.2, latency:50=1, hang=0.01, reset-before=0, POST /v1/charges|reset-after=0.3, trickle:4:20=0.5, trickle=0.1, malformed-json=0.02',
      ),
    ).toEqual([
      { probability: 0.05, fault: { kind: 'status', status: 503 } },
      { probability: 0.1, fault: { kind: 'rate-limit', retryAfterSeconds: 7 } },
      { probability: 0.2, fault: { kind: 'latency', ms: { min: 100, max: 900 } } },
      { probability: 1, fault: { kind: 'latency', ms: 50 } },
      { probability: 0.01, fault: { kind: 'hang' } },
      { probability: 0, fault: { kind: 'reset-before' } },
      { route: 'POST /v1/charges', probability: 0.3, fault: { kind: 'reset-after' } },
      { probability: 0.5, fault: { kind: 'trickle', chunkBytes: 4, intervalMs: 20 } },
      { probability: 0.1, fault: { kind: 'trickle' } },
      { probability: 0.02, fault: { kind: 'malformed-json' } },
    ])
    expect(parseFaultSpec('')).toEqual([])
  })

  it.each([
    ['503', /"503" needs a probability: FAULT=0\.1/],
    ['503=2', /needs a probability between 0 and 1/],
    ['503=', /needs a probability between 0 and 1/],
    ['418=0.1', /"418=0\.1" names no fault/],
    ['latency=0.1', /latency needs milliseconds/],
  ])('refuses %s with a message naming the item', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message)
  })
})
