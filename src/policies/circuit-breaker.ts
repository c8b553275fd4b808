import { createEmitter } from '../events/index.js'
import { systemClock, watchAbort } from '../time/index.js'
import {
  checkCircuitOptions,
  isFailureByDefault,
  type CircuitBreakerOptions,
} from './circuit-options.js'
import { CircuitOpenError } from './errors.js'
import { settle, type Policy, type Work } from './policy.js'
import { scheduleReopen } from './reopen-schedule.js'
import { rollingCounts } from './rolling-counts.js'

export type CircuitState = 'closed' | 'open' | 'half-open'

export type CircuitBreakerEvents = {
  'circuit:state': { name: string; from: CircuitState; to: CircuitState; reason: string }
  'circuit:rejected': { name: string; retryAfterMs: number }
}

export interface CircuitBreaker extends Policy<CircuitBreakerEvents> {
  readonly name: string
  /** Where the circuit stands now (an open circuit whose time is up reads as half-open). */
  readonly state: CircuitState
}

// What a call was let in as, and when: outcomes of calls let in before the last change of state
// say nothing about the provider now, so they are not counted.
interface Ticket {
  readonly epoch: number
  readonly probe: boolean
}

interface Waiter {
  admit(ticket: Ticket): void
  refuse(error: CircuitOpenError): void
}

const never = new AbortController().signal

// Work that throws before returning its promise still gets its outcome counted.
async function start<T>(work: Work<T>, signal: AbortSignal): Promise<T> {
  return await work(signal)
}

/**
 * Stops calling a provider that keeps failing. Closed, it counts failures; past a threshold it
 * opens and refuses calls at once with `CircuitOpenError`; after `openMs` it half-opens and lets
 * `halfOpenProbes` calls through while later calls wait for their verdict: success closes it,
 * a failure opens it again. The move to half-open is made lazily by the next call, and on time
 * by one timer per clock shared by every breaker.
 */
export function circuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  checkCircuitOptions(options)
  const name = options.name ?? 'circuit'
  const clock = options.clock ?? systemClock
  const openMs = options.openMs ?? 30_000
  const probes = options.halfOpenProbes ?? 1
  const isFailure = options.isFailure ?? isFailureByDefault
  const windowMs = options.windowMs ?? 30_000
  const minimumThroughput = options.minimumThroughput ?? 10
  const rate = options.failureRate
  const counts =
    rate === undefined ? undefined : rollingCounts(['calls', 'failures'], windowMs, clock)
  const events = createEmitter<CircuitBreakerEvents>()

  let state: CircuitState = 'closed'
  let epoch = 0
  let inARow = 0
  let opens = 0 // openings since it last closed, for an `openMs` backoff
  let openFor = 0
  let reopenAt = 0
  let openedBecause = ''
  let probing = 0
  let passed = 0
  const waiters = new Set<Waiter>()

  function move(to: CircuitState, reason: string): void {
    const from = state
    state = to
    epoch++
    events.emit('circuit:state', { name, from, to, reason })
  }

  function refusal(): CircuitOpenError {
    const retryAfterMs = Math.max(0, Math.ceil(reopenAt - clock.now()))
    events.emit('circuit:rejected', { name, retryAfterMs })
    return new CircuitOpenError(retryAfterMs, {
      operation: 'run',
      target: name,
      reason: `refused: the circuit is open after ${openedBecause}; next probe in ${retryAfterMs} ms`,
    })
  }

  function open(because: string): void {
    opens++
    openFor = typeof openMs === 'number' ? openMs : openMs.delay(opens, openFor)
    reopenAt = clock.now() + openFor
    openedBecause = because
    inARow = 0
    counts?.clear()
    move('open', because)
    scheduleReopen(clock, reopenAt, refresh)
    for (const waiter of waiters) waiter.refuse(refusal())
    waiters.clear()
  }

  function close(): void {
    opens = 0
    openFor = 0
    move('closed', `${passed} probe${passed === 1 ? '' : 's'} succeeded`)
    const ticket = { epoch, probe: false }
    for (const waiter of waiters) waiter.admit(ticket)
    waiters.clear()
  }

  // Open → half-open once its time is up: on the shared timer, or earlier by a call or a read.
  function refresh(): void {
    if (state !== 'open' || clock.now() < reopenAt) return
    probing = 0
    passed = 0
    move('half-open', `was open for ${Math.ceil(openFor)} ms`)
  }

  function probe(): Ticket {
    probing++
    return { epoch, probe: true }
  }

  // A probe that ended without a verdict (its caller aborted) hands its place to the next waiter.
  function serveWaiters(): void {
    for (const waiter of waiters) {
      if (probing + passed >= probes) return
      waiters.delete(waiter)
      waiter.admit(probe())
    }
  }

  function record(ticket: Ticket, failed: boolean | undefined): void {
    if (ticket.epoch !== epoch) return
    if (ticket.probe) {
      probing--
      if (failed === undefined) serveWaiters()
      else if (failed) open('a failed probe')
      else if (++passed >= probes) close()
      return
    }
    if (failed === undefined) return
    inARow = failed ? inARow + 1 : 0
    counts?.add('calls')
    if (failed) counts?.add('failures')
    if (!failed) return
    const limit = options.consecutiveFailures
    if (limit !== undefined && inARow >= limit)
      return open(`${inARow} consecutive failure${inARow === 1 ? '' : 's'}`)
    if (!counts || rate === undefined) return
    const calls = counts.total('calls')
    const failures = counts.total('failures')
    if (calls >= minimumThroughput && failures >= rate * calls) {
      const percent = Math.round((100 * failures) / calls)
      open(`a ${percent}% failure rate (${failures} of ${calls} calls in ${windowMs} ms)`)
    }
  }

  // Half-open with every probe place taken: wait for the verdict, or leave when the caller aborts.
  function verdict(signal: AbortSignal): Promise<Ticket> {
    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = {
        admit: (ticket) => {
          unwatch()
          resolve(ticket)
        },
        refuse: (error) => {
          unwatch()
          reject(error)
        },
      }
      const unwatch = watchAbort(signal, () => {
        waiters.delete(waiter)
        reject(signal.reason)
      })
      waiters.add(waiter)
    })
  }

  async function execute<T>(work: Work<T>, signal: AbortSignal = never): Promise<T> {
    signal.throwIfAborted()
    refresh()
    let ticket: Ticket
    if (state === 'open') throw refusal()
    else if (state === 'closed') ticket = { epoch, probe: false }
    else ticket = probing + passed < probes ? probe() : await verdict(signal)
    const outcome = await settle(start(work, signal))
    let failed: boolean | undefined
    try {
      // The caller's own abort says nothing about the provider.
      failed = signal.aborted ? undefined : isFailure(outcome)
    } catch (error) {
      record(ticket, true)
      throw error
    }
    record(ticket, failed)
    if (outcome.ok) return outcome.value
    throw outcome.error
  }

  return {
    name,
    events,
    execute,
    get state() {
      refresh()
      return state
    },
  }
}
