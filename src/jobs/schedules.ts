import { SeamlineError } from '../errors/index.js'
import type { NewJob, Store } from '../stores/index.js'
import type { Clock } from '../time/index.js'
import { parseCron } from './cron.js'
import type { EnqueueOptions } from './options.js'

export interface ScheduleOptions {
  /** Five-field cron expression in UTC, e.g. `0 3 * * *` for 03:00 every day. */
  cron?: string
  /** Or: a slot every this many milliseconds (counted from the epoch, so every process agrees). */
  everyMs?: number
  /** The job each slot enqueues, with `payload` (default null). */
  job: string
  payload?: unknown
  options?: Omit<EnqueueOptions, 'runAt' | 'delayMs'>
  /**
   * A slot that passed while no process ran: `run-latest` (the default) enqueues the most recent
   * one at start, once; `skip` waits for the next.
   */
  missed?: 'run-latest' | 'skip'
}

interface Slots {
  next(time: number): number | null
  previous(time: number): number | null
}

export function slotsOf(name: string, options: ScheduleOptions): Slots {
  if ((options.cron === undefined) === (options.everyMs === undefined)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `schedule ${name}`,
      target: 'cron',
      reason: 'or everyMs must be given, and not both',
    })
  }
  if (options.cron !== undefined) return parseCron(options.cron)
  const every = options.everyMs as number
  if (!Number.isSafeInteger(every) || every < 1_000) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: `schedule ${name}`,
      target: 'everyMs',
      reason: `must be a whole number of milliseconds >= 1000 (got ${String(every)})`,
    })
  }
  return {
    previous: (time) => Math.floor(time / every) * every,
    next: (time) => Math.floor(time / every) * every + every,
  }
}

export interface Schedule {
  name: string
  slots: Slots
  options: ScheduleOptions
}

/**
 * Fires each schedule's slots in this process. Every process running the same schedules may do
 * so: the store enqueues one job per (schedule, slot) however many ask.
 */
export function runSchedules(
  schedules: readonly Schedule[],
  store: Store,
  clock: Clock,
  build: (schedule: Schedule, slotAt: number) => NewJob,
  report: (operation: string, error: unknown) => void,
): { stop(): void } {
  const cancels = new Set<() => void>()
  let stopped = false
  const fire = async (schedule: Schedule, slotAt: number): Promise<void> => {
    try {
      await store.jobs.enqueueSlot(schedule.name, slotAt, build(schedule, slotAt), clock.now())
    } catch (error) {
      report(`schedule ${schedule.name}`, error)
    }
  }
  const arm = (schedule: Schedule): void => {
    const next = schedule.slots.next(clock.now())
    if (next === null || stopped) return
    const cancel = clock.after(Math.max(0, next - clock.now()), () => {
      cancels.delete(cancel)
      void fire(schedule, next).then(() => arm(schedule))
    })
    cancels.add(cancel)
  }
  for (const schedule of schedules) {
    const latest = schedule.slots.previous(clock.now())
    if (schedule.options.missed !== 'skip' && latest !== null) void fire(schedule, latest)
    arm(schedule)
  }
  return {
    stop() {
      stopped = true
      for (const cancel of cancels) cancel()
      cancels.clear()
    },
  }
}
