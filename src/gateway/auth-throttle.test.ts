import { describe, expect, it } from 'vitest'
import { FakeClock } from '../time/index.js'
import { addressKey, createAuthThrottle } from './auth-throttle.js'
import { createRegistry } from './metrics.js'

describe('auth throttle', () => {
  it('counts an IPv6 /64 as one address, and IPv4 (mapped or not) alone', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7')
  })

  it('lets an address try again once its oldest failure leaves the window', async () => {
    const clock = new FakeClock({ now: 0 })
    const throttle = createAuthThrottle({ clock, registry: createRegistry(), maxFailures: 3 })
    for (let i = 0; i < 3; i++) {
      expect(throttle.waitMs('192.0.2.1', 'api')).toBe(0)
      throttle.failed('192.0.2.1', 'api')
      await clock.advance(10_000)
    }
    expect(throttle.waitMs('192.0.2.1', 'api')).toBe(30_000)
    expect(throttle.waitMs('192.0.2.2', 'api')).toBe(0)
    await clock.advance(30_000)
    expect(throttle.waitMs('192.0.2.1', 'api')).toBe(0)
  })

  it('forgets the longest-idle address past its bound, so a spray of addresses holds no memory', () => {
    const clock = new FakeClock({ now: 0 })
    const throttle = createAuthThrottle({
      clock,
      registry: createRegistry(),
      maxFailures: 1,
      maxAddresses: 2,
    })
    throttle.failed('192.0.2.1', 'ui')
    throttle.failed('192.0.2.2', 'ui')
    throttle.failed('192.0.2.3', 'ui')
    expect(throttle.waitMs('192.0.2.1', 'ui')).toBe(0)
    expect(throttle.waitMs('192.0.2.3', 'ui')).toBeGreaterThan(0)
  })
})
