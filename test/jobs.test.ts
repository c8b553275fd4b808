import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createJobs,
  PermanentError,
  retryAfter,
  type Jobs,
  type JobsOptions,
} from '../src/jobs/index.js'
import type { Client } from '../src/http/index.js'
import { RateLimitedError } from '../src/policies/index.js'
import { sqliteStore, type Store } from '../src/stores/index.js'
import { FakeClock } from '../src/time/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const path = useTempSqliteFile()
let cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

let names = 0
const uniqueName = (): string => `job-${++names}`

function setup(options: Partial<JobsOptions> & { clock?: FakeClock } = {}): {
  clock: FakeClock
  store: Store
  jobs: Jobs
} {
  const clock = options.clock ?? new FakeClock()
  const store = options.store ?? sqliteStore({ path })
  const jobs = createJobs({ clock, ...options, store })
  cleanups.push(async () => {
    await jobs.stop({ timeoutMs: 0 })
    if (!options.store) await store.close()
  })
  return { clock, store, jobs }
}

/** Resolves when `check` holds, moving the fake clock a step at a time if asked. */
async function until(check: () => Promise<boolean> | boolean, clock?: FakeClock, stepMs = 100) {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return
    if (clock) await clock.advance(stepMs)
    else await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error('condition never held')
}

describe('jobs', () => {
  it('runs an enqueued job once and completes it', async () => {
    const { jobs, store } = setup()
    const name = uniqueName()
    const seen: unknown[] = []
    const events: string[] = []
    jobs.events.on('job:started', () => events.push('started'))
    jobs.events.on('job:completed', () => events.push('completed'))
    jobs.define(name, (payload, ctx) => {
      seen.push({ payload, attempt: ctx.job.attempt })
    })
    jobs.start()
    const { id, outcome } = await jobs.enqueue(name, { order: 42 })
    expect(outcome).toBe('inserted')
    await until(async () => (await store.jobs.get(id))?.state === 'completed')
    expect(seen).toEqual([{ payload: { order: 42 }, attempt: 1 }])
    expect(events).toEqual(['started', 'completed'])
  })

  it('retries a failing job after a jittered, growing backoff, then succeeds', async () => {
    const { jobs, store, clock } = setup()
    const name = uniqueName()
    const runs: number[] = []
    jobs.define(
      name,
      (_payload, ctx) => {
        runs.push(clock.now())
        if (ctx.job.attempt < 3) throw new Error(`flaky ${ctx.job.attempt}`)
      },
      { backoff: { baseMs: 1_000, capMs: 60_000 } },
    )
    jobs.start()
    const { id } = await jobs.enqueue(name, null)
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 250)
    expect(runs).toHaveLength(3)
    const job = await store.jobs.get(id)
    expect(job).toMatchObject({ attempts: 2, deliveries: 3 })
    expect(job?.history.map((e) => [e.kind, e.attempt, e.error?.message])).toEqual([
      ['failed', 1, 'flaky 1'],
      ['failed', 2, 'flaky 2'],
    ])
    // Full jitter: the n-th retry is due within [0, base × 2^(n-1)] of the failure.
    const [first, second] = job?.history ?? []
    expect((first?.runAt ?? 0) - (first?.at ?? 0)).toBeLessThanOrEqual(1_000)
    expect((second?.runAt ?? 0) - (second?.at ?? 0)).toBeLessThanOrEqual(2_000)
  })

  it('dead-letters a PermanentError at once, and an exhausted job after its last attempt', async () => {
    const { jobs, store, clock } = setup()
    const permanent = uniqueName()
    const flaky = uniqueName()
    const dead: string[] = []
    jobs.events.on('job:dead', (e) => dead.push(`${e.name}:${e.reason}`))
    jobs.define(permanent, () => {
      throw new PermanentError('card declined')
    })
    jobs.define(
      flaky,
      () => {
        throw new Error('still down')
      },
      { maxAttempts: 3, backoff: { baseMs: 10, capMs: 10 } },
    )
    jobs.start()
    const a = await jobs.enqueue(permanent, {})
    const b = await jobs.enqueue(flaky, {})
    await until(async () => (await store.jobs.get(b.id))?.state === 'dead', clock, 20)
    expect(await store.jobs.get(a.id)).toMatchObject({
      state: 'dead',
      deadReason: 'permanent',
      attempts: 1,
      lastError: { name: 'PermanentError', message: 'card declined' },
    })
    expect(await store.jobs.get(b.id)).toMatchObject({
      deadReason: 'exhausted',
      attempts: 3,
    })
    expect(dead.sort()).toEqual([`${flaky}:exhausted`, `${permanent}:permanent`].sort())
  })

  it('reschedules without spending an attempt on retryAfter and on a rate limit', async () => {
    const { jobs, store, clock } = setup()
    const name = uniqueName()
    const attempts: number[] = []
    let runs = 0
    jobs.define(name, (_payload, ctx) => {
      attempts.push(ctx.job.attempt)
      runs++
      if (runs === 1) return retryAfter(5_000)
      if (runs === 2) {
        throw new RateLimitedError(30_000, {
          operation: 'POST',
          target: 'https://api.example.test/v1/things',
          reason: 'asked to wait 30 s',
        })
      }
      return undefined
    })
    jobs.start()
    const started = clock.now()
    const { id } = await jobs.enqueue(name, {})
    await until(() => runs === 1)
    await until(async () => (await store.jobs.get(id))?.state === 'pending')
    expect((await store.jobs.get(id))?.runAt).toBe(started + 5_000)
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 1_000)
    expect(attempts).toEqual([1, 1, 1])
    const job = await store.jobs.get(id)
    expect(job?.attempts).toBe(0)
    expect(job?.history.map((e) => e.kind)).toEqual(['snoozed', 'snoozed'])
    expect(job?.history[1]?.error?.code).toBe('SEAM_ERR_RATE_LIMITED')
  })

  it("runs a crashed worker's job again within lease + sweep, counting a rescue, not an attempt", async () => {
    const { jobs, store, clock } = setup({ worker: { leaseMs: 30_000, sweepMs: 5_000 } })
    const name = uniqueName()
    await jobs.enqueue(name, {})
    // A worker elsewhere claims the job and dies without a word.
    const crashed = await store.jobs.cycle({
      now: clock.now(),
      settle: [],
      claim: { names: [name], owner: 'crashed', limit: 1, leaseMs: 30_000 },
    })
    const [claimed] = crashed.claimed
    const claimedAt = clock.now()
    let ranAt: number | undefined
    let ran: { attempt: number; delivery: number; rescues: number } | undefined
    jobs.define(name, (_payload, ctx) => {
      ranAt = clock.now()
      ran = { attempt: ctx.job.attempt, delivery: ctx.job.delivery, rescues: ctx.job.rescues }
    })
    jobs.start()
    await until(() => ran !== undefined, clock, 1_000)
    expect((ranAt ?? Infinity) - claimedAt).toBeLessThanOrEqual(30_000 + 5_000 + 1_000 + 1_000)
    expect(ran).toEqual({ attempt: 1, delivery: 2, rescues: 1 })
    await until(async () => (await store.jobs.get(claimed?.id ?? ''))?.state === 'completed')
  })

  it('keeps renewing the lease of a long job, so nobody else runs it', async () => {
    const { jobs, store, clock } = setup({ worker: { leaseMs: 3_000, sweepMs: 1_000 } })
    const name = uniqueName()
    let runs = 0
    const rescued: string[] = []
    jobs.events.on('job:rescued', (e) => rescued.push(e.id))
    jobs.define(name, async () => {
      runs++
      await clock.sleep(60_000)
    })
    jobs.start()
    const { id } = await jobs.enqueue(name, {})
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 500)
    expect(runs).toBe(1)
    expect(rescued).toEqual([])
  })

  it('shuts down gracefully: finishes what it can, releases the rest without spending an attempt', async () => {
    const { jobs, store, clock } = setup()
    const quick = uniqueName()
    const slow = uniqueName()
    let slowSignal: AbortSignal | undefined
    jobs.define(quick, () => clock.sleep(1_000))
    jobs.define(slow, (_payload, ctx) => {
      slowSignal = ctx.signal
      return new Promise(() => undefined)
    })
    jobs.start()
    const a = await jobs.enqueue(quick, {})
    const b = await jobs.enqueue(slow, {})
    await until(() => slowSignal !== undefined)
    await until(async () => (await store.jobs.get(a.id))?.state === 'running')
    const stopping = jobs.stop({ timeoutMs: 5_000 })
    await until(async () => (await store.jobs.get(a.id))?.state === 'completed', clock, 500)
    await clock.advance(5_000)
    await stopping
    expect(slowSignal?.aborted).toBe(true)
    expect(await store.jobs.get(b.id)).toMatchObject({ state: 'pending', attempts: 0 })
  })

  it('gives each step a stable idempotency key, the same on every run of the job', async () => {
    const name = uniqueName()
    const sent: { method: string; key: string | undefined }[] = []
    const fake = {
      request: (method: string, _path: string, options: { idempotencyKey?: string }) => {
        sent.push({ method, key: options.idempotencyKey })
        return Promise.resolve({ status: 200, headers: {}, body: {}, attempts: [] })
      },
    } as unknown as Client
    const { jobs: worker, store, clock } = setup({ clients: { stripe: fake } })
    worker.define(
      name,
      async (_payload, ctx) => {
        const stripe = ctx.client('stripe')
        await stripe.get('/v1/customers/cus_1')
        await stripe.post('/v1/refunds', { form: { charge: 'ch_1' } })
        await stripe.post('/v1/refunds', { form: { charge: 'ch_2' } })
        if (ctx.job.attempt === 1) throw new Error('crash after the calls')
      },
      { backoff: { baseMs: 10, capMs: 10 } },
    )
    worker.start()
    const { id } = await worker.enqueue(name, {}, { idempotencyKey: 'order-7' })
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 20)
    expect(sent).toEqual([
      { method: 'GET', key: undefined },
      { method: 'POST', key: 'order-7:stripe:1' },
      { method: 'POST', key: 'order-7:stripe:2' },
      { method: 'GET', key: undefined },
      { method: 'POST', key: 'order-7:stripe:1' },
      { method: 'POST', key: 'order-7:stripe:2' },
    ])
  })

  it('enqueues and completes inside the caller’s SQLite transaction', async () => {
    const { jobs, store } = setup()
    const app = new Database(path)
    cleanups.push(() => Promise.resolve(void app.close()))
    app.exec('CREATE TABLE IF NOT EXISTS refunds (order_id TEXT PRIMARY KEY)')
    const name = uniqueName()
    jobs.define(name, (payload: unknown, ctx) => {
      const { orderId } = payload as { orderId: string }
      app.transaction(() => {
        app.prepare('INSERT INTO refunds VALUES (?)').run(orderId)
        ctx.completeInTx(app)
      })()
    })
    jobs.start()

    expect(() =>
      app.transaction(() => {
        jobs.enqueueInTx(app, name, { orderId: 'rolled-back' })
        throw new Error('the caller changed its mind')
      })(),
    ).toThrow('changed its mind')
    const { id } = app.transaction(() => jobs.enqueueInTx(app, name, { orderId: 'o-1' }))()
    await until(async () => (await store.jobs.get(id))?.state === 'completed')
    expect(app.prepare('SELECT order_id FROM refunds').pluck().all()).toEqual(['o-1'])
    expect(await store.jobs.count({ name })).toBe(1)
  })

  it('starts one order key’s jobs in order, and holds a group to its limit', async () => {
    const { jobs, store } = setup({ worker: { concurrency: 10 } })
    const ordered = uniqueName()
    const grouped = uniqueName()
    const order: number[] = []
    let inGroup = 0
    let maxInGroup = 0
    jobs.define(
      ordered,
      async (payload: unknown) => {
        order.push((payload as { n: number }).n)
        await new Promise((resolve) => setImmediate(resolve))
      },
      { orderBy: () => 'cus_1' },
    )
    jobs.define(
      grouped,
      async () => {
        maxInGroup = Math.max(maxInGroup, ++inGroup)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inGroup--
      },
      { concurrency: { key: () => 'acct_1', limit: 2 } },
    )
    await jobs.enqueueMany([
      ...Array.from({ length: 8 }, (_, n) => ({ name: ordered, payload: { n } })),
      ...Array.from({ length: 8 }, () => ({ name: grouped, payload: {} })),
    ])
    jobs.start()
    await until(
      async () =>
        (await store.jobs.counts([ordered, grouped], Date.now())).ready === 0 &&
        order.length === 8 &&
        inGroup === 0,
    )
    await until(async () => (await store.jobs.count({ name: grouped, state: 'completed' })) === 8)
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(maxInGroup).toBe(2)
  })

  it('keeps going when the store fails a step, reporting it', async () => {
    const store = sqliteStore({ path })
    cleanups.push(() => store.close())
    let failures = 2
    const cycle = store.jobs.cycle.bind(store.jobs)
    const flaky: Store = {
      ...store,
      jobs: {
        ...store.jobs,
        cycle: (request) =>
          failures-- > 0 ? Promise.reject(new Error('database is locked')) : cycle(request),
      },
    }
    const { jobs, clock } = setup({ store: flaky })
    const errors: string[] = []
    jobs.events.on('worker:error', (e) => errors.push(`${e.operation}: ${String(e.error)}`))
    const name = uniqueName()
    let ran = 0
    jobs.define(name, () => void ran++)
    const { id } = await jobs.enqueue(name, {})
    jobs.start()
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 500)
    expect(ran).toBe(1)
    expect(errors).toEqual(['cycle: Error: database is locked', 'cycle: Error: database is locked'])
  })

  it('refuses what cannot be stored, naming it', async () => {
    const { jobs } = setup()
    await expect(jobs.enqueue('x', { n: 1n })).rejects.toMatchObject({
      code: 'SEAM_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('payload') as string,
    })
    await expect(jobs.enqueue('x', { text: 'a\u0000b' })).rejects.toThrow(/NUL/)
    await expect(jobs.enqueue('x', {}, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/)
    await expect(jobs.enqueue('x', {}, { priority: 1.5 })).rejects.toThrow(/priority/)
    await expect(jobs.enqueue('', {})).rejects.toThrow(/name/)
    await expect(jobs.enqueue('x', {}, { runAt: new Date('nope') })).rejects.toThrow(/runAt/)
  })
})

describe('schedules', () => {
  it('enqueues one job per slot however many processes run the schedule', async () => {
    const clock = new FakeClock({ now: Date.UTC(2026, 2, 4, 10, 0, 30) })
    const name = uniqueName()
    const runs: number[] = []
    const processes = [setup({ clock }), setup({ clock }), setup({ clock })]
    for (const { jobs } of processes) {
      jobs.define(name, (payload: unknown) => void runs.push((payload as { slot: number }).slot))
      jobs.schedule(`every-minute-${name}`, { everyMs: 60_000, job: name, payload: { slot: 1 } })
      jobs.start()
    }
    // The slot that began at 10:00 fires once at start, then 10:01 … 10:05.
    for (let minute = 0; minute < 5; minute++) await clock.advance(60_000)
    await until(() => runs.length === 6, clock, 10)
    const { store } = processes[0] as { store: Store }
    expect(await store.jobs.count({ name })).toBe(6)
    const created = (await store.jobs.list({ name })).map((j) => new Date(j.runAt).toISOString())
    expect(created).toEqual([
      '2026-03-04T10:00:00.000Z',
      '2026-03-04T10:01:00.000Z',
      '2026-03-04T10:02:00.000Z',
      '2026-03-04T10:03:00.000Z',
      '2026-03-04T10:04:00.000Z',
      '2026-03-04T10:05:00.000Z',
    ])
  })

  it('skips a missed slot when asked', async () => {
    const { jobs, store, clock } = setup({
      clock: new FakeClock({ now: Date.UTC(2026, 2, 4, 10, 0, 30) }),
    })
    const name = uniqueName()
    jobs.define(name, () => undefined)
    jobs.schedule(`skip-${name}`, { everyMs: 60_000, job: name, missed: 'skip' })
    jobs.start()
    await clock.advance(1_000)
    expect(await store.jobs.count({ name })).toBe(0)
    await clock.advance(60_000)
    await until(async () => (await store.jobs.count({ name })) === 1)
  })

  it('refuses to start with a schedule whose job has no handler, naming both', () => {
    const { jobs } = setup()
    jobs.schedule('nightly-sync', { cron: '0 3 * * *', job: 'sync-everything' })
    expect(() => jobs.start()).toThrow(
      /schedule nightly-sync names the job sync-everything, which has no handler: define it/,
    )
  })

  it('refuses a bad schedule, naming what is wrong', () => {
    const { jobs } = setup()
    expect(() => jobs.schedule('bad', { cron: '61 * * * *', job: 'x' })).toThrow(/minute/)
    expect(() => jobs.schedule('both', { cron: '* * * * *', everyMs: 60_000, job: 'x' })).toThrow(
      /not both/,
    )
    expect(() => jobs.schedule('fast', { everyMs: 10, job: 'x' })).toThrow(/everyMs/)
  })
})

describe('completed jobs', () => {
  it('keeps a completed job readable for keepCompletedMs, then an hourly sweep deletes it', async () => {
    const { jobs, store, clock } = setup({
      clock: new FakeClock({ now: Date.UTC(2026, 2, 4, 10, 0, 30) }),
      keepCompletedMs: 2 * 3_600_000,
      // Hours pass here: fewer timers make them pass faster.
      worker: { pollMs: 600_000, sweepMs: 600_000, heartbeatMs: 600_000, leaseMs: 1_800_000 },
    })
    const name = uniqueName()
    jobs.define(name, () => undefined)
    jobs.define(`${name}-dead`, () => {
      throw new PermanentError('no')
    })
    jobs.start()
    const { id } = await jobs.enqueue(name, null)
    const { id: deadId } = await jobs.enqueue(`${name}-dead`, null)
    await until(async () => (await store.jobs.get(id))?.state === 'completed', clock, 10)
    await until(async () => (await store.jobs.get(deadId))?.state === 'dead', clock, 10)
    await clock.advance(3_600_000)
    await until(async () => (await store.jobs.count({ name: 'seamline:jobs-prune' })) === 1)
    expect((await store.jobs.get(id))?.state).toBe('completed')
    // The sweep of 13:00 finds it finished more than two hours before.
    await clock.advance(3_600_000)
    await until(async () => (await store.jobs.count({ name: 'seamline:jobs-prune' })) === 2)
    await clock.advance(3_600_000)
    await until(async () => (await store.jobs.get(id)) === undefined, clock, 10)
    expect((await store.jobs.get(deadId))?.state).toBe('dead')
  })

  it("deletes each job as it completes with keepCompletedMs: 0, in the handler's transaction too", async () => {
    const db = new Database(path)
    cleanups.push(async () => void db.close())
    const { jobs, store } = setup({ keepCompletedMs: 0 })
    const name = uniqueName()
    const inTx = uniqueName()
    db.exec('CREATE TABLE IF NOT EXISTS effects (job TEXT PRIMARY KEY)')
    const completed: string[] = []
    jobs.events.on('job:completed', ({ id }) => void completed.push(id))
    jobs.define(name, () => undefined)
    jobs.define(inTx, (_payload, ctx) => {
      db.transaction(() => {
        db.prepare('INSERT INTO effects VALUES (?)').run(ctx.job.id)
        ctx.completeInTx(db)
      })()
    })
    jobs.start()
    const { id } = await jobs.enqueue(name, null)
    const { id: txId } = await jobs.enqueue(inTx, null)
    await until(() => completed.length === 2)
    expect(await store.jobs.get(id)).toBeUndefined()
    expect(await store.jobs.get(txId)).toBeUndefined()
    expect(db.prepare('SELECT job FROM effects').all()).toEqual([{ job: txId }])
  })

  it('refuses a negative keepCompletedMs, naming it', () => {
    expect(() => setup({ keepCompletedMs: -1 })).toThrow(/keepCompletedMs/)
  })
})

describe('dead letters', () => {
  async function deadLetters(count: number) {
    const { jobs, store, clock } = setup()
    const name = uniqueName()
    let fixed = false
    jobs.define(name, (payload: unknown) => {
      if (!fixed) throw new PermanentError(`bad ${(payload as { n: number }).n}`)
    })
    jobs.start()
    const ids = (
      await jobs.enqueueMany(Array.from({ length: count }, (_, n) => ({ name, payload: { n } })))
    ).map((r) => r.id)
    await until(async () => (await jobs.deadLetters.count({ name })) === count)
    return { jobs, store, clock, name, ids, fix: () => (fixed = true) }
  }

  it('lists, shows, replays one with its key kept, and discards', async () => {
    const { jobs, store, name, ids, fix } = await deadLetters(3)
    const [a, b, c] = ids as [string, string, string]
    expect((await jobs.deadLetters.list({ name, reason: 'permanent' })).map((j) => j.id)).toEqual(
      ids,
    )
    const shown = await jobs.deadLetters.get(a)
    expect(shown).toMatchObject({ payload: { n: 0 }, lastError: { message: 'bad 0' } })
    fix()
    await jobs.deadLetters.replay(a)
    await until(async () => (await store.jobs.get(a))?.state === 'completed')
    expect((await store.jobs.get(a))?.idempotencyKey).toBe(shown.idempotencyKey)
    await jobs.deadLetters.replay(b, { renewIdempotencyKey: true, payload: { n: 99 } })
    await until(async () => (await store.jobs.get(b))?.state === 'completed')
    expect((await store.jobs.get(b))?.idempotencyKey).not.toBe(shown.idempotencyKey)
    await jobs.deadLetters.discard(c)
    await expect(jobs.deadLetters.get(c)).rejects.toMatchObject({ code: 'SEAM_ERR_JOB_NOT_FOUND' })
    await expect(jobs.deadLetters.replay(a)).rejects.toMatchObject({
      code: 'SEAM_ERR_JOB_NOT_FOUND',
    })
  })

  it('replays in bulk by filter: a dry run counts, a real run paces itself', async () => {
    const { jobs, name, clock, fix } = await deadLetters(12)
    expect(await jobs.deadLetters.replayMany({ name }, { dryRun: true })).toEqual({
      matched: 12,
      replayed: 0,
      skipped: 0,
    })
    expect(await jobs.deadLetters.count({ name })).toBe(12)
    fix()
    const progress: number[] = []
    const started = clock.now()
    const replaying = jobs.deadLetters.replayMany(
      { name },
      { perSecond: 4, onProgress: (p) => progress.push(p.replayed) },
    )
    await until(() => progress.length === 3, clock, 250)
    const result = await replaying
    expect(result).toEqual({ matched: 12, replayed: 12, skipped: 0 })
    expect(progress).toEqual([4, 8, 12])
    // Three chunks of four at four a second: two pauses of a second between them.
    expect(clock.now() - started).toBeGreaterThanOrEqual(2_000)
    await until(async () => (await jobs.deadLetters.count({ name })) === 0)
  })
})
