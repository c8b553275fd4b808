export { FakeClock, type FakeClockOptions } from '../time/index.js'
export * from '../simulator/index.js'
