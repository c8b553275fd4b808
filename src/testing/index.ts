export { FakeClock, type FakeClockOptions } from '../time/index.js'
