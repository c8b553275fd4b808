import { describe, expect, it } from 'vitest'
import { checkRuntime } from './doctor.js'

describe('checkRuntime', () => {
  it.each([
    ['v20.18.0', true],
    ['v20.20.2', true],
    ['v22.1.0', true],
    ['v20.17.9', false],
    ['v18.20.0', false],
  ])('%s against >=20.18 → ok=%s', (version, ok) => {
    expect(checkRuntime(version, '>=20.18').ok).toBe(ok)
  })

  it('says what is needed when the runtime is too old', () => {
    expect(checkRuntime('v18.0.0', '>=20.18').detail).toBe(
      'Node.js v18.0.0 is too old; Seamline needs >=20.18',
    )
  })

  it('refuses an engines range it cannot read', () => {
    expect(() => checkRuntime('v20.0.0', '^20')).toThrow(
      /engines\.node is not a ">=major\.minor" range/,
    )
  })
})
