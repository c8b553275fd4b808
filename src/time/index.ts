export type { Clock } from './clock.js'
export { systemClock } from './system-clock.js'
export { FakeClock, type FakeClockOptions } from './fake-clock.js'
export { watchAbort } from './abort-watch.js'
