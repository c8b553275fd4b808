import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionWrite, JobRecord, NewJob, Store } from '../../src/stores/index.js'

/** What the shared suite needs from a dialect. */
export interface StoreDriver {
  /** Opens a store on the dialect's test database; each call is another connection to it. */
  open(): Promise<Store>
  /**
   * Runs `work` in a transaction on a connection of the caller's own, then commits or rolls back.
   * `work` is synchronous on SQLite (the driver is), asynchronous on PostgreSQL.
   */
  inTransaction<T>(work: (tx: unknown) => T | Promise<T>, end: 'commit' | 'rollback'): Promise<T>
}

let names = 0
/** A job name no other test uses, so tests share one database without seeing each other's jobs. */
const uniqueName = (): string => `job-${++names}-${randomUUID().slice(0, 8)}`

function job(name: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    name,
    payload: { n: 1 },
    runAt: 1_000,
    priority: 0,
    maxAttempts: 3,
    maxRescues: 2,
    ...overrides,
  }
}

const error = { name: 'Boom', message: 'it broke', code: 'E_BOOM' }

/**
 * The behaviour every store must have. Times are passed explicitly, so the suite needs no clock.
 */
export function describeStoreConformance(dialect: string, driver: StoreDriver): void {
  describe(`store conformance: ${dialect}`, () => {
    let store: Store
    beforeAll(async () => {
      store = await driver.open()
    })
    afterAll(async () => {
      await store?.close()
    })

    const claim = async (name: string, now: number, limit = 10, owner = 'w1') =>
      (
        await store.jobs.cycle({
          now,
          settle: [],
          claim: { names: [name], owner, limit, leaseMs: 30_000 },
        })
      ).claimed
    const lease = (record: JobRecord) => ({ id: record.id, delivery: record.deliveries })

    describe('migrations', () => {
      it('applies nothing twice', async () => {
        expect(await store.migrate()).toEqual([])
      })
    })

    describe('enqueue and claim', () => {
      it('claims due jobs in priority, then due-time, then id order, with a lease', async () => {
        const name = uniqueName()
        const [a, b, c, later] = await store.jobs.enqueue(
          [
            job(name, { priority: 5, payload: 'a' }),
            job(name, { priority: 1, runAt: 900, payload: 'b' }),
            job(name, { priority: 1, runAt: 950, payload: 'c' }),
            job(name, { runAt: 5_000, payload: 'later' }),
          ],
          800,
        )
        expect([a, b, c, later].map((r) => r?.outcome)).toEqual([
          'inserted',
          'inserted',
          'inserted',
          'inserted',
        ])
        const claimed = await claim(name, 1_000)
        expect(claimed.map((j) => j.payload)).toEqual(['b', 'c', 'a'])
        const [first] = claimed
        expect(first).toMatchObject({
          state: 'running',
          deliveries: 1,
          attempts: 0,
          leaseOwner: 'w1',
          leaseUntil: 31_000,
          createdAt: 800,
        })
        expect(first?.idempotencyKey).toMatch(/\S{16,}/)
        expect(await claim(name, 1_000)).toEqual([])
        expect(await store.jobs.nextRunAt([name])).toBe(5_000)
        expect((await claim(name, 5_000)).map((j) => j.payload)).toEqual(['later'])
      })

      it('claims no more than the limit, and only the names asked for', async () => {
        const name = uniqueName()
        const other = uniqueName()
        await store.jobs.enqueue([job(name), job(name), job(name), job(other)], 0)
        expect(await claim(name, 1_000, 2)).toHaveLength(2)
        expect(await claim(name, 1_000, 5)).toHaveLength(1)
      })

      it('keeps the payload as JSON, with the idempotency key given', async () => {
        const name = uniqueName()
        const payload = { text: 'zürich ✓', list: [1, 2.5, null], nested: { ok: true } }
        const [inserted] = await store.jobs.enqueue(
          [job(name, { payload, idempotencyKey: 'k-1' })],
          0,
        )
        const stored = await store.jobs.get(inserted?.id ?? '')
        expect(stored).toMatchObject({ payload, idempotencyKey: 'k-1', state: 'pending' })
        expect(await store.jobs.get('999999999')).toBeUndefined()
      })

      it('keeps every value of a batch as given, quotes, braces and backslashes included', async () => {
        const name = uniqueName()
        const awkward = `a "quoted" {brace}, back\\slash \\" NULL ☃ \t`
        const payloads = [awkward, { [awkward]: [awkward, null] }, null, 0, [], '', 'NULL', true]
        const inserted = await store.jobs.enqueue(
          payloads.map((payload, i) =>
            job(name, {
              payload,
              idempotencyKey: `${awkward}${i}`,
              key: `${awkward}${i}`,
              orderKey: awkward,
              ...(i === 1 && { backoff: { baseMs: 7, capMs: 9 } }),
            }),
          ),
          0,
        )
        const stored = await Promise.all(inserted.map((r) => store.jobs.get(r?.id ?? '')))
        expect(stored.map((j) => j?.payload)).toEqual(payloads)
        expect(stored.map((j) => j?.idempotencyKey)).toEqual(
          payloads.map((_, i) => `${awkward}${i}`),
        )
        expect(stored.map((j) => j?.key)).toEqual(payloads.map((_, i) => `${awkward}${i}`))
        expect(new Set(stored.map((j) => j?.orderKey))).toEqual(new Set([awkward]))
        expect(stored.map((j) => j?.backoff ?? null)).toEqual(
          payloads.map((_, i) => (i === 1 ? { baseMs: 7, capMs: 9 } : null)),
        )
      })

      it('never hands one job to two concurrent claimers', async () => {
        const name = uniqueName()
        await store.jobs.enqueue(
          Array.from({ length: 120 }, (_, i) => job(name, { payload: i })),
          0,
        )
        const others = await Promise.all([driver.open(), driver.open()])
        try {
          const seen: string[] = []
          await Promise.all(
            [store, ...others].map(async (s, i) => {
              for (;;) {
                const { claimed } = await s.jobs.cycle({
                  now: 1_000,
                  settle: [],
                  claim: { names: [name], owner: `w${i}`, limit: 7, leaseMs: 30_000 },
                })
                if (claimed.length === 0) return
                seen.push(...claimed.map((j) => j.id))
              }
            }),
          )
          expect(seen).toHaveLength(120)
          expect(new Set(seen).size).toBe(120)
        } finally {
          await Promise.all(others.map((s) => s.close()))
        }
      })

      it('tells listeners which names were enqueued', async () => {
        const name = uniqueName()
        const heard: string[] = []
        const stop = store.onJobsEnqueued((names) => heard.push(...names))
        await store.jobs.enqueue([job(name)], 0)
        await expect.poll(() => heard).toContain(name)
        stop()
      })
    })

    describe('settling', () => {
      it('completes a job once; a second completion is refused', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        const outcome = { ...lease(running as JobRecord), kind: 'completed' as const }
        const { settled } = await store.jobs.cycle({ now: 2_000, settle: [outcome, outcome] })
        expect(settled).toEqual([true, false])
        expect(await store.jobs.get(running?.id ?? '')).toMatchObject({
          state: 'completed',
          finishedAt: 2_000,
          leaseOwner: null,
          leaseUntil: null,
        })
      })

      it('reschedules a failed attempt, counting it and keeping its error', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 2_000,
          settle: [{ ...lease(running as JobRecord), kind: 'failed', error, runAt: 7_000 }],
        })
        const failed = await store.jobs.get(running?.id ?? '')
        expect(failed).toMatchObject({
          state: 'pending',
          attempts: 1,
          runAt: 7_000,
          lastError: error,
        })
        expect(failed?.history).toEqual([
          { at: 2_000, kind: 'failed', attempt: 1, error, runAt: 7_000 },
        ])
        expect(await claim(name, 6_999)).toEqual([])
        const [again] = await claim(name, 7_000)
        expect(again).toMatchObject({ deliveries: 2, attempts: 1 })
      })

      it('moves a job to the dead letters with its reason', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 2_000,
          settle: [{ ...lease(running as JobRecord), kind: 'dead', reason: 'permanent', error }],
        })
        expect(await store.jobs.get(running?.id ?? '')).toMatchObject({
          state: 'dead',
          deadReason: 'permanent',
          attempts: 1,
          finishedAt: 2_000,
          lastError: error,
        })
      })

      it('snoozes and releases without spending an attempt', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 1_500,
          settle: [{ ...lease(running as JobRecord), kind: 'snoozed', runAt: 4_000 }],
        })
        expect(await store.jobs.get(running?.id ?? '')).toMatchObject({
          state: 'pending',
          attempts: 0,
          runAt: 4_000,
        })
        const [again] = await claim(name, 4_000)
        await store.jobs.cycle({
          now: 4_100,
          settle: [{ ...lease(again as JobRecord), kind: 'released' }],
        })
        const released = await store.jobs.get(running?.id ?? '')
        expect(released).toMatchObject({ state: 'pending', attempts: 0, runAt: 4_100 })
        expect(released?.history.map((e) => e.kind)).toEqual(['snoozed', 'released'])
      })

      it('settles and claims in one call', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name), job(name)], 0)
        const [first] = await claim(name, 1_000, 1)
        const result = await store.jobs.cycle({
          now: 1_100,
          settle: [{ ...lease(first as JobRecord), kind: 'completed' }],
          claim: { names: [name], owner: 'w1', limit: 5, leaseMs: 1_000 },
        })
        expect(result.settled).toEqual([true])
        expect(result.claimed).toHaveLength(1)
        expect(result.claimed[0]?.id).not.toBe(first?.id)
      })
    })

    describe('leases', () => {
      it('extends the leases an owner holds', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name), job(name)], 0)
        await claim(name, 1_000, 10, 'owner-hb')
        expect(await store.jobs.heartbeat('owner-hb', 20_000, 30_000)).toBe(2)
        const rescued = await store.jobs.rescue({ now: 40_000, baseMs: 1_000, capMs: 60_000 })
        expect([...rescued.requeued, ...rescued.dead].filter((j) => j.name === name)).toEqual([])
      })

      it('rescues a lost lease with backoff, then dead-letters it as worker_lost', async () => {
        const name = uniqueName()
        const [{ id } = { id: '' }] = await store.jobs.enqueue([job(name, { maxRescues: 1 })], 0)
        const [first] = await claim(name, 1_000)
        expect(
          await store.jobs.rescue({ now: 31_000, baseMs: 1_000, capMs: 60_000 }),
        ).toMatchObject({
          requeued: [],
        })
        const rescued = await store.jobs.rescue({ now: 31_001, baseMs: 1_000, capMs: 60_000 })
        expect(rescued.requeued.map((j) => j.id)).toContain(id)
        const requeued = await store.jobs.get(id)
        expect(requeued).toMatchObject({ state: 'pending', rescues: 1, attempts: 0, runAt: 31_001 })
        expect(requeued?.history).toMatchObject([{ kind: 'lost', attempt: 1, at: 31_001 }])

        // The first worker's lease is fenced off: its completion is refused.
        const [second] = await claim(name, 32_001)
        const { settled } = await store.jobs.cycle({
          now: 32_100,
          settle: [{ ...lease(first as JobRecord), kind: 'completed' }],
        })
        expect(settled).toEqual([false])

        const lost = await store.jobs.rescue({ now: 62_002, baseMs: 1_000, capMs: 60_000 })
        expect(lost.dead.map((j) => j.id)).toContain(id)
        expect(await store.jobs.get(id)).toMatchObject({
          state: 'dead',
          deadReason: 'worker_lost',
          rescues: 2,
          lastError: { name: 'LeaseExpiredError' },
        })
        expect(second?.deliveries).toBe(2)
      })
      it('makes a first rescue due at once and waits longer before each later one', async () => {
        const name = uniqueName()
        const [{ id } = { id: '' }] = await store.jobs.enqueue([job(name, { maxRescues: 5 })], 0)
        const rescueAt = async (now: number) => {
          await store.jobs.cycle({
            now,
            settle: [],
            claim: { names: [name], owner: 'w', limit: 1, leaseMs: 10 },
          })
          await store.jobs.rescue({ now: now + 11, baseMs: 1_000, capMs: 60_000 })
          return ((await store.jobs.get(id))?.runAt ?? 0) - (now + 11)
        }
        expect(await rescueAt(1_000)).toBe(0)
        expect(await rescueAt(2_000)).toBe(1_000)
        expect(await rescueAt(4_000)).toBe(2_000)
      })
    })

    describe('uniqueness by key', () => {
      it('keeps the earliest job by default', async () => {
        const name = uniqueName()
        const [first] = await store.jobs.enqueue([job(name, { key: 'k', payload: 1 })], 0)
        const [second] = await store.jobs.enqueue([job(name, { key: 'k', payload: 2 })], 0)
        expect(second).toEqual({ id: first?.id, outcome: 'kept' })
        expect((await store.jobs.get(first?.id ?? ''))?.payload).toBe(1)
      })

      it('replaces a pending job, but not a running one', async () => {
        const name = uniqueName()
        const [first] = await store.jobs.enqueue([job(name, { key: 'k', payload: 1 })], 0)
        const [second] = await store.jobs.enqueue(
          [job(name, { key: 'k', payload: 2, unique: 'replace', runAt: 1_500 })],
          0,
        )
        expect(second).toEqual({ id: first?.id, outcome: 'replaced' })
        expect(await store.jobs.get(first?.id ?? '')).toMatchObject({ payload: 2, runAt: 1_500 })
        await claim(name, 2_000)
        await expect(
          store.jobs.enqueue([job(name, { key: 'k', unique: 'replace' })], 0),
        ).rejects.toMatchObject({ code: 'SEAM_ERR_JOB_CONFLICT' })
      })

      it('rejects a batch with a held key and writes none of it', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name, { key: 'held' })], 0)
        await expect(
          store.jobs.enqueue(
            [job(name, { key: 'fresh' }), job(name, { key: 'held', unique: 'reject' })],
            0,
          ),
        ).rejects.toMatchObject({ code: 'SEAM_ERR_JOB_CONFLICT' })
        expect(await store.jobs.count({ name })).toBe(1)
      })

      it('frees a key once its job finished', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name, { key: 'k' })], 0)
        const [running] = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 1_100,
          settle: [{ ...lease(running as JobRecord), kind: 'completed' }],
        })
        const [again] = await store.jobs.enqueue([job(name, { key: 'k', unique: 'reject' })], 0)
        expect(again?.outcome).toBe('inserted')
      })

      it('lets the same key live under different names', async () => {
        const [a] = await store.jobs.enqueue([job(uniqueName(), { key: 'shared' })], 0)
        const [b] = await store.jobs.enqueue(
          [job(uniqueName(), { key: 'shared', unique: 'reject' })],
          0,
        )
        expect([a?.outcome, b?.outcome]).toEqual(['inserted', 'inserted'])
      })
    })

    describe('ordering and groups', () => {
      it('starts the jobs of one order key one at a time, oldest first; a dead letter holds the line', async () => {
        const name = uniqueName()
        const orderKey = `cus_${randomUUID()}`
        await store.jobs.enqueue(
          [1, 2, 3]
            .map((n) => job(name, { orderKey, payload: n }))
            .concat(job(name, { payload: 'free' })),
          0,
        )
        const first = await claim(name, 1_000)
        expect(first.map((j) => j.payload).sort()).toEqual([1, 'free'])
        const one = first.find((j) => j.payload === 1) as JobRecord
        await store.jobs.cycle({
          now: 1_100,
          settle: [{ ...lease(one), kind: 'dead', reason: 'permanent', error }],
        })
        expect(await claim(name, 1_200)).toEqual([])
        const [replayed] = await store.jobs.replay([one.id], {
          now: 1_300,
          renewIdempotencyKey: false,
          newIdempotencyKey: randomUUID,
        })
        expect(replayed).toBe(one.id)
        const [again] = await claim(name, 1_300)
        expect(again?.payload).toBe(1)
        await store.jobs.cycle({
          now: 1_400,
          settle: [{ ...lease(again as JobRecord), kind: 'completed' }],
        })
        expect((await claim(name, 1_500)).map((j) => j.payload)).toEqual([2])
      })

      it('runs at most the group limit at once, across claimers', async () => {
        const name = uniqueName()
        const groupKey = `g-${randomUUID()}`
        await store.jobs.enqueue(
          Array.from({ length: 5 }, (_, n) => job(name, { groupKey, groupLimit: 2, payload: n })),
          0,
        )
        const first = await claim(name, 1_000, 10, 'a')
        expect(first.map((j) => j.payload)).toEqual([0, 1])
        expect(await claim(name, 1_000, 10, 'b')).toEqual([])
        await store.jobs.cycle({
          now: 1_100,
          settle: [{ ...lease(first[0] as JobRecord), kind: 'completed' }],
        })
        expect((await claim(name, 1_200, 10, 'b')).map((j) => j.payload)).toEqual([2])
      })
    })

    describe('dead letters', () => {
      async function deadJobs(name: string, count: number): Promise<JobRecord[]> {
        await store.jobs.enqueue(
          Array.from({ length: count }, (_, n) => job(name, { payload: n })),
          0,
        )
        const running = await claim(name, 1_000, count)
        await store.jobs.cycle({
          now: 2_000,
          settle: running.map((r, n) => ({
            ...lease(r),
            kind: 'dead' as const,
            reason: n % 2 === 0 ? ('exhausted' as const) : ('permanent' as const),
            error: { ...error, name: n % 2 === 0 ? 'Timeout' : 'Declined' },
          })),
        })
        return running
      }

      it('lists and counts by state, name, reason and error', async () => {
        const name = uniqueName()
        await deadJobs(name, 5)
        expect(await store.jobs.count({ name, state: 'dead' })).toBe(5)
        expect(await store.jobs.count({ name, deadReason: 'permanent' })).toBe(2)
        expect(await store.jobs.count({ name, errorName: 'Timeout' })).toBe(3)
        expect(await store.jobs.count({ name, errorName: 'E_BOOM' })).toBe(5)
        expect(await store.jobs.count({ name, since: 2_000, until: 2_001 })).toBe(5)
        expect(await store.jobs.count({ name, since: 2_001 })).toBe(0)
        const page = await store.jobs.list({ name, state: 'dead', limit: 2 })
        expect(page.map((j) => j.payload)).toEqual([0, 1])
        const next = await store.jobs.list({
          name,
          state: 'dead',
          limit: 10,
          afterId: page[1]?.id ?? '',
        })
        expect(next.map((j) => j.payload)).toEqual([2, 3, 4])
      })

      it('replays with the idempotency key kept or renewed, and the payload edited', async () => {
        const name = uniqueName()
        const [a, b] = await deadJobs(name, 2)
        const replayed = await store.jobs.replay([a?.id ?? ''], {
          now: 3_000,
          renewIdempotencyKey: false,
          newIdempotencyKey: () => 'never',
          payload: { edited: true },
        })
        expect(replayed).toEqual([a?.id])
        expect(await store.jobs.get(a?.id ?? '')).toMatchObject({
          state: 'pending',
          attempts: 0,
          rescues: 0,
          deadReason: null,
          finishedAt: null,
          runAt: 3_000,
          payload: { edited: true },
          idempotencyKey: a?.idempotencyKey,
        })
        await store.jobs.replay([b?.id ?? ''], {
          now: 3_000,
          renewIdempotencyKey: true,
          newIdempotencyKey: () => 'renewed-key-000000',
        })
        expect((await store.jobs.get(b?.id ?? ''))?.idempotencyKey).toBe('renewed-key-000000')
        // Only dead letters replay.
        expect(
          await store.jobs.replay([a?.id ?? ''], {
            now: 3_000,
            renewIdempotencyKey: false,
            newIdempotencyKey: randomUUID,
          }),
        ).toEqual([])
      })

      it('leaves a dead letter dead when its key is held again', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name, { key: 'k' })], 0)
        const [running] = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 1_100,
          settle: [{ ...lease(running as JobRecord), kind: 'dead', reason: 'permanent', error }],
        })
        await store.jobs.enqueue([job(name, { key: 'k' })], 1_200)
        const replayed = await store.jobs.replay([running?.id ?? ''], {
          now: 1_300,
          renewIdempotencyKey: false,
          newIdempotencyKey: randomUUID,
        })
        expect(replayed).toEqual([])
        expect((await store.jobs.get(running?.id ?? ''))?.state).toBe('dead')
      })

      it('discards only dead letters', async () => {
        const name = uniqueName()
        const [dead] = await deadJobs(name, 1)
        const [pending] = await store.jobs.enqueue([job(name)], 0)
        expect(await store.jobs.discard([dead?.id ?? '', pending?.id ?? ''])).toBe(1)
        expect(await store.jobs.get(dead?.id ?? '')).toBeUndefined()
        expect(await store.jobs.get(pending?.id ?? '')).toBeDefined()
      })
    })

    describe('schedules, counts and pruning', () => {
      it('enqueues one job per schedule slot however often it is asked', async () => {
        const name = uniqueName()
        const schedule = `nightly-${randomUUID()}`
        const asks = await Promise.all(
          [1, 2, 3].map(() => store.jobs.enqueueSlot(schedule, 86_400_000, job(name), 0)),
        )
        expect(asks.filter(Boolean)).toHaveLength(1)
        expect(await store.jobs.enqueueSlot(schedule, 2 * 86_400_000, job(name), 0)).toBe(true)
        expect(await store.jobs.count({ name })).toBe(2)
      })

      it('counts ready, scheduled, running and dead jobs', async () => {
        const name = uniqueName()
        await store.jobs.enqueue(
          [job(name, { runAt: 100 }), job(name, { runAt: 200 }), job(name, { runAt: 9_000 })],
          0,
        )
        await claim(name, 100, 1)
        expect(await store.jobs.counts([name], 1_000)).toEqual({
          ready: 1,
          scheduled: 1,
          running: 1,
          dead: 0,
          oldestReadyAt: 200,
        })
      })

      it('prunes completed jobs finished before a time', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name), job(name)], 0)
        const running = await claim(name, 1_000)
        await store.jobs.cycle({
          now: 1_000,
          settle: running.map((r) => ({ ...lease(r), kind: 'completed' as const })),
        })
        await store.jobs.prune(1_001)
        expect(await store.jobs.count({ name })).toBe(0)
      })

      it('deletes a job that completes with remove, fenced like any completion, and frees its key and order', async () => {
        const name = uniqueName()
        await store.jobs.enqueue(
          [job(name, { key: 'k', orderKey: 'o' }), job(name, { orderKey: 'o' })],
          0,
        )
        const [first] = await claim(name, 1_000)
        const done = { ...lease(first as JobRecord), kind: 'completed' as const, remove: true }
        const stale = { ...done, delivery: done.delivery + 1 }
        expect((await store.jobs.cycle({ now: 1_100, settle: [stale] })).settled).toEqual([false])
        expect((await store.jobs.get(done.id))?.state).toBe('running')
        expect((await store.jobs.cycle({ now: 1_100, settle: [done, done] })).settled).toEqual([
          true,
          false,
        ])
        expect(await store.jobs.get(done.id)).toBeUndefined()
        // The key is free again, and the next job of the order key may start.
        const [again] = await store.jobs.enqueue([job(name, { key: 'k' })], 1_200)
        expect(again?.outcome).toBe('inserted')
        expect(await claim(name, 1_300)).toHaveLength(2)
      })

      it("deletes a job completed with remove in the caller's transaction", async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        const held = { ...lease(running as JobRecord), remove: true }
        expect(
          await driver.inTransaction((tx) => store.jobs.completeInTx(tx, held, 1_100), 'commit'),
        ).toBe(true)
        expect(await store.jobs.get(held.id)).toBeUndefined()
      })
    })

    describe("the caller's transaction", () => {
      it('enqueues with the caller: kept on commit, gone on rollback', async () => {
        const name = uniqueName()
        await driver.inTransaction(
          (tx) => store.jobs.enqueueInTx(tx, [job(name, { payload: 'no' })], 0),
          'rollback',
        )
        await driver.inTransaction(
          (tx) => store.jobs.enqueueInTx(tx, [job(name, { payload: 'yes' })], 0),
          'commit',
        )
        expect((await store.jobs.list({ name })).map((j) => j.payload)).toEqual(['yes'])
      })

      it('completes with the caller, and refuses a lost lease', async () => {
        const name = uniqueName()
        await store.jobs.enqueue([job(name)], 0)
        const [running] = await claim(name, 1_000)
        const held = lease(running as JobRecord)
        expect(
          await driver.inTransaction((tx) => store.jobs.completeInTx(tx, held, 1_100), 'rollback'),
        ).toBe(true)
        expect((await store.jobs.get(held.id))?.state).toBe('running')
        expect(
          await driver.inTransaction((tx) => store.jobs.completeInTx(tx, held, 1_100), 'commit'),
        ).toBe(true)
        expect((await store.jobs.get(held.id))?.state).toBe('completed')
        expect(
          await driver.inTransaction((tx) => store.jobs.completeInTx(tx, held, 1_200), 'commit'),
        ).toBe(false)
      })

      it('refuses a handle that is not a transaction of its driver', async () => {
        await expect(
          (async () => store.jobs.enqueueInTx({}, [job(uniqueName())], 0))(),
        ).rejects.toMatchObject({ code: 'SEAM_ERR_STORE_TRANSACTION' })
      })
    })

    describe('inbox', () => {
      it('stores an event once, with its bytes, and enqueues its job once', async () => {
        const source = `stripe-${randomUUID()}`
        const name = uniqueName()
        const body = new Uint8Array([0, 1, 2, 255, 123])
        const event = {
          source,
          eventId: 'evt_1',
          receivedAt: 5_000,
          headers: { 'stripe-signature': 't=1,v1=abc' },
          body,
          job: job(name),
        }
        const outcomes = await Promise.all([
          store.inbox.receive([event]),
          store.inbox.receive([event]),
        ])
        const kinds = outcomes.flat().map((o) => o.kind)
        expect(kinds.sort()).toEqual(['duplicate', 'new'])
        expect(await store.jobs.count({ name })).toBe(1)
        const stored = await store.inbox.get(source, 'evt_1')
        expect(stored).toMatchObject({
          source,
          eventId: 'evt_1',
          receivedAt: 5_000,
          headers: event.headers,
        })
        expect([...(stored?.body ?? [])]).toEqual([...body])
        expect(stored?.jobId).not.toBeNull()
        expect(await store.inbox.prune(5_001)).toBeGreaterThanOrEqual(1)
        expect(await store.inbox.get(source, 'evt_1')).toBeUndefined()
      })

      it('stores a batch once per event id, each new event with its own job', async () => {
        const source = `stripe-${randomUUID()}`
        const name = uniqueName()
        const event = (eventId: string, withJob = true) => ({
          source,
          eventId,
          receivedAt: 5_000,
          headers: {},
          body: new Uint8Array([1]),
          ...(withJob && { job: job(name, { payload: eventId }) }),
        })
        await store.inbox.receive([event('a')])
        const outcomes = await store.inbox.receive([
          event('a'),
          event('b'),
          event('b'),
          event('c', false),
        ])
        expect(outcomes.map((o) => o.kind)).toEqual(['duplicate', 'new', 'duplicate', 'new'])
        expect(outcomes[3]).toEqual({ kind: 'new', jobId: null })
        const jobs = await store.jobs.list({ name })
        expect(jobs.map((j) => j.payload).sort()).toEqual(['a', 'b'])
        const b = outcomes[1] as { jobId: string }
        expect((await store.inbox.get(source, 'b'))?.jobId).toBe(b.jobId)
        expect((await store.jobs.get(b.jobId))?.payload).toBe('b')
        // An event without a job ahead of one with a job: each job still goes to its own event.
        const [, e] = await store.inbox.receive([event('d', false), event('e')])
        expect((await store.jobs.get((e as { jobId: string }).jobId))?.payload).toBe('e')
      })

      it('takes an event again under a new id as a duplicate when it carries a replay key seen', async () => {
        const source = `github-${randomUUID()}`
        const name = uniqueName()
        const event = (eventId: string, replayKey?: string, keyed = false) => ({
          source,
          eventId,
          receivedAt: 5_000,
          headers: {},
          body: new Uint8Array([1]),
          ...(replayKey !== undefined && { replayKey }),
          job: job(name, { payload: eventId, ...(keyed && { key: `k-${eventId}` }) }),
        })
        expect((await store.inbox.receive([event('d1', 'sha256:a')]))[0]?.kind).toBe('new')
        const outcomes = await store.inbox.receive([
          event('d2', 'sha256:a'),
          event('d3', 'sha256:b'),
          event('d4', 'sha256:b'),
          event('d5'),
          event('d6'),
        ])
        expect(outcomes.map((o) => o.kind)).toEqual(['duplicate', 'new', 'duplicate', 'new', 'new'])
        // Through the transaction a keyed job takes, too.
        expect((await store.inbox.receive([event('d7', 'sha256:a', true)]))[0]?.kind).toBe(
          'duplicate',
        )
        const jobs = await store.jobs.list({ name })
        expect(jobs.map((j) => j.payload).sort()).toEqual(['d1', 'd3', 'd5', 'd6'])
        expect(await store.inbox.get(source, 'd2')).toBeUndefined()
        // Pruned with its event, the key may come again.
        await store.inbox.prune(5_001)
        expect((await store.inbox.receive([event('d8', 'sha256:a')]))[0]?.kind).toBe('new')
      })

      it('stores each event of a batch with its own bytes, of any length, keyed jobs or not', async () => {
        const source = `stripe-${randomUUID()}`
        const name = uniqueName()
        // A view into a larger buffer, as a body read from a stream may be.
        const shared = Buffer.from('xx{"view":true}yy')
        const bodies = [
          new Uint8Array(Buffer.from('{"first":1}')),
          new Uint8Array(0),
          new Uint8Array(shared.buffer, shared.byteOffset + 2, shared.byteLength - 4),
          new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
          new Uint8Array([0, 255, 0]),
        ]
        for (const keyed of [false, true]) {
          const event = (i: number) => ({
            source,
            eventId: `${keyed}-${i}`,
            receivedAt: 5_000,
            headers: {},
            body: bodies[i] as Uint8Array,
            job: job(name, { payload: i, ...(keyed && { key: `k-${i}` }) }),
          })
          // Event 1 twice: the second copy (other bytes) is a duplicate and stores nothing.
          const batch = [
            event(0),
            event(1),
            { ...event(1), body: bodies[4] as Uint8Array },
            event(2),
            event(3),
          ]
          const outcomes = await store.inbox.receive([...batch, event(4)])
          expect(outcomes.map((o) => o.kind)).toEqual([
            'new',
            'new',
            'duplicate',
            'new',
            'new',
            'new',
          ])
          for (const [i, body] of bodies.entries()) {
            const stored = await store.inbox.get(source, `${keyed}-${i}`)
            expect(Buffer.from(stored?.body ?? []).equals(Buffer.from(body)), `body ${i}`).toBe(
              true,
            )
          }
        }
      })

      it("links an event to the job holding its job's key, and a duplicate leaves that job alone", async () => {
        const source = `stripe-${randomUUID()}`
        const name = uniqueName()
        const [holder] = await store.jobs.enqueue([job(name, { key: 'cus_1' })], 0)
        const event = {
          source,
          eventId: 'evt_k',
          receivedAt: 5_000,
          headers: {},
          body: new Uint8Array([1]),
          job: job(name, { key: 'cus_1' }),
        }
        expect(await store.inbox.receive([event])).toEqual([{ kind: 'new', jobId: holder?.id }])
        expect(await store.inbox.receive([event])).toEqual([{ kind: 'duplicate' }])
        expect((await store.jobs.get(holder?.id ?? ''))?.state).toBe('pending')
        expect(await store.jobs.count({ name })).toBe(1)
      })

      it("lists events newest first with their jobs' states, narrowed by source, id, state and time", async () => {
        const source = `stripe-${randomUUID()}`
        const name = uniqueName()
        const event = (eventId: string, receivedAt: number, withJob = true) => ({
          source,
          eventId,
          receivedAt,
          headers: { 'content-type': 'application/json' },
          body: new Uint8Array(Buffer.from(`{"id":"${eventId}"}`)),
          ...(withJob && { job: job(name, { payload: eventId, runAt: receivedAt }) }),
        })
        await store.inbox.receive([
          event('e1', 1_000),
          event('e2', 2_000),
          event('e3', 3_000, false),
        ])
        const all = await store.inbox.list({ source })
        expect(all.map((e) => e.eventId)).toEqual(['e3', 'e2', 'e1'])
        expect(all[0]).toMatchObject({ jobId: null, jobState: null, jobAttempts: null })
        expect(all[1]).toMatchObject({ jobState: 'pending', jobAttempts: 0 })
        expect(Buffer.from(all[2]?.body ?? []).toString()).toBe('{"id":"e1"}')
        expect(all[2]?.headers).toEqual({ 'content-type': 'application/json' })
        expect((await store.inbox.list({ source, eventId: 'e2' })).map((e) => e.eventId)).toEqual([
          'e2',
        ])
        expect(
          (await store.inbox.list({ source, before: 3_000, limit: 1 })).map((e) => e.eventId),
        ).toEqual(['e2'])
        const [claimed] = await claim(name, 1_500, 1)
        expect(claimed?.payload).toBe('e1')
        const running = await store.inbox.list({ source, state: 'running' })
        expect(running.map((e) => e.eventId)).toEqual(['e1'])
        expect(await store.inbox.list({ source: `${source}-other` })).toEqual([])
      })
    })

    describe('idempotency records', () => {
      it('acquires, refuses while held, resumes after the lock times out, then answers as stored', async () => {
        const ref = { scope: 'acct_1', key: randomUUID() }
        const begin = (now: number, fingerprint = 'fp') =>
          store.idempotency.begin({ ...ref, fingerprint, now, lockMs: 1_000 })
        expect(await begin(0)).toEqual({ kind: 'acquired', recoveryPoint: 'started' })
        expect(await begin(10)).toEqual({ kind: 'in_progress' })
        expect(await begin(10, 'other')).toEqual({ kind: 'mismatch' })
        expect(await store.idempotency.advance(ref, 'charge_created', 20)).toBe(true)
        expect(await begin(1_001)).toEqual({ kind: 'acquired', recoveryPoint: 'charge_created' })
        expect(
          await store.idempotency.finish(ref, { status: 201, body: { id: 'ch_1' } }, 1_100),
        ).toBe(true)
        expect(await begin(1_200)).toEqual({
          kind: 'finished',
          response: { status: 201, body: { id: 'ch_1' } },
        })
        expect(await store.idempotency.finish(ref, { status: 500, body: null }, 1_300)).toBe(false)
      })

      it('reads a record as it is, without taking its key', async () => {
        const ref = { scope: 'seamline:proxy-operations', key: randomUUID() }
        expect(await store.idempotency.get(ref)).toBeUndefined()
        await store.idempotency.begin({ ...ref, fingerprint: 'fp', now: 5, lockMs: 1_000 })
        await store.idempotency.advance(ref, 'job:42', 7)
        expect(await store.idempotency.get(ref)).toEqual({
          fingerprint: 'fp',
          recoveryPoint: 'job:42',
          lockedUntil: 1_005,
          response: null,
          createdAt: 5,
          updatedAt: 7,
        })
        // Reading took nothing: the key is still held.
        expect(
          await store.idempotency.begin({ ...ref, fingerprint: 'fp', now: 10, lockMs: 1_000 }),
        ).toEqual({ kind: 'in_progress' })
        const body = { status: 'succeeded', result: { body: 'caf\u00e9', headers: { a: '1' } } }
        expect(await store.idempotency.finish(ref, { status: 201, body }, 20)).toBe(true)
        expect(await store.idempotency.get(ref)).toEqual({
          fingerprint: 'fp',
          recoveryPoint: 'finished',
          lockedUntil: null,
          response: { status: 201, body },
          createdAt: 5,
          updatedAt: 20,
        })
        expect(await store.idempotency.get({ ...ref, scope: 'elsewhere' })).toBeUndefined()
      })

      it('lets a released key be taken again at once', async () => {
        const ref = { scope: 'acct_1', key: randomUUID() }
        await store.idempotency.begin({ ...ref, fingerprint: 'fp', now: 0, lockMs: 60_000 })
        await store.idempotency.release(ref)
        expect(
          await store.idempotency.begin({ ...ref, fingerprint: 'fp', now: 1, lockMs: 60_000 }),
        ).toEqual({
          kind: 'acquired',
          recoveryPoint: 'started',
        })
      })
    })

    describe('oauth connections', () => {
      const write = (overrides: Partial<ConnectionWrite> = {}): ConnectionWrite => ({
        state: 'healthy',
        accessToken: 'v1.k1.sealed-access',
        refreshToken: 'v1.k1.sealed-refresh',
        expiresAt: 10_000,
        refreshedAt: 1_000,
        lastError: null,
        metadata: { scope: 'read write' },
        ...overrides,
      })

      it('creates a connection at generation 1 and reads it back whole', async () => {
        const ref = { provider: 'xero', connectionId: randomUUID() }
        expect(await store.tokens.get(ref)).toBeUndefined()
        const created = await store.tokens.put(ref, write(), 500)
        expect(created).toEqual({
          ...ref,
          ...write(),
          generation: 1,
          createdAt: 500,
          updatedAt: 500,
        })
        expect(await store.tokens.get(ref)).toEqual(created)
      })

      it('swaps on the generation read: one of two writers wins, the other gets null', async () => {
        const ref = { provider: 'github', connectionId: randomUUID() }
        const { generation } = await store.tokens.put(ref, write(), 0)
        const results = await Promise.all(
          ['a', 'b', 'c'].map((n) =>
            store.tokens.swap(ref, generation, write({ accessToken: `at-${n}` }), 10),
          ),
        )
        const winners = results.filter((r) => r !== null)
        expect(winners).toHaveLength(1)
        expect(winners[0]?.generation).toBe(generation + 1)
        const stored = await store.tokens.get(ref)
        expect(stored?.accessToken).toBe(winners[0]?.accessToken)
        expect(stored).toMatchObject({ generation: generation + 1, createdAt: 0, updatedAt: 10 })
        // A writer that read before the swap loses, and writes nothing.
        expect(
          await store.tokens.swap(ref, generation, write({ accessToken: 'stale' }), 20),
        ).toBeNull()
        expect((await store.tokens.get(ref))?.accessToken).toBe(winners[0]?.accessToken)
        expect(await store.tokens.swap({ ...ref, connectionId: 'missing' }, 1, write(), 20)).toBe(
          null,
        )
      })

      it('keeps states, errors, nulls and metadata as written', async () => {
        const ref = { provider: 'slack', connectionId: randomUUID() }
        const first = await store.tokens.put(ref, write(), 0)
        const lastError = { code: 'invalid_grant', message: 'revoked', at: 30, retryAt: 40 }
        const swapped = await store.tokens.swap(
          ref,
          first.generation,
          write({
            state: 'reauth_required',
            accessToken: null,
            refreshToken: null,
            expiresAt: null,
            lastError,
            metadata: { nested: { a: [1, 'two'] } },
          }),
          30,
        )
        expect(await store.tokens.get(ref)).toEqual(swapped)
        expect(swapped).toMatchObject({ state: 'reauth_required', lastError, accessToken: null })
        // A new authorization replaces the row, whatever its generation, and the generation grows.
        const again = await store.tokens.put(ref, write(), 50)
        expect(again).toMatchObject({ state: 'healthy', generation: first.generation + 2 })
        expect(again.createdAt).toBe(0)
      })

      it('refuses a state outside the four', async () => {
        const ref = { provider: 'hubspot', connectionId: randomUUID() }
        await expect(
          store.tokens.put(ref, write({ state: 'broken' as ConnectionWrite['state'] }), 0),
        ).rejects.toThrow()
      })

      it('lists connections in key order, page after page, and deletes them', async () => {
        const provider = `p-${randomUUID()}`
        for (const id of ['c', 'a', 'b']) {
          await store.tokens.put({ provider, connectionId: id }, write(), 0)
        }
        const mine = async (after?: { provider: string; connectionId: string }) =>
          (await store.tokens.list({ ...(after ? { after } : {}), limit: 1_000 }))
            .filter((c) => c.provider === provider)
            .map((c) => c.connectionId)
        expect(await mine()).toEqual(['a', 'b', 'c'])
        expect(await mine({ provider, connectionId: 'a' })).toEqual(['b', 'c'])
        const page = await store.tokens.list({ after: { provider, connectionId: 'a' }, limit: 1 })
        expect(page.map((c) => [c.provider, c.connectionId])).toEqual([[provider, 'b']])
        expect(await store.tokens.delete({ provider, connectionId: 'b' })).toBe(true)
        expect(await store.tokens.delete({ provider, connectionId: 'b' })).toBe(false)
        expect(await mine()).toEqual(['a', 'c'])
      })

      it('counts connections by provider and state', async () => {
        const provider = `p-${randomUUID()}`
        await store.tokens.put({ provider, connectionId: 'a' }, write(), 0)
        await store.tokens.put({ provider, connectionId: 'b' }, write(), 0)
        await store.tokens.put({ provider, connectionId: 'c' }, write({ state: 'degraded' }), 0)
        const mine = (await store.tokens.countByState()).filter((c) => c.provider === provider)
        expect(mine).toEqual([
          { provider, state: 'degraded', count: 1 },
          { provider, state: 'healthy', count: 2 },
        ])
      })
    })

    describe('reconciliation reports', () => {
      const report = (name: string, id: string, startedAt: number, driftRate = 0) => ({
        id,
        name,
        startedAt,
        finishedAt: startedAt + 5,
        driftRate,
        summary: { engine: 'merge', counts: { matched: 3, mismatched: 1 } },
        report: {
          id,
          samples: { mismatched: [{ key: 'a', fields: { total: { left: '10.5', right: 10 } } }] },
        },
      })

      it('stores a report whole, finds the latest of a reconciler, and lists summaries newest first', async () => {
        const name = `reconcile-${randomUUID()}`
        const first = report(name, `${name}-1`, 1_000, 0.25)
        const second = report(name, `${name}-2`, 2_000)
        await store.reports.save(first)
        await store.reports.save(second)
        await store.reports.save(report(`${name}-other`, `${name}-3`, 3_000))
        expect(await store.reports.get(first.id)).toEqual(first)
        expect(await store.reports.get(`${name}-missing`)).toBeUndefined()
        expect(await store.reports.latest(name)).toEqual(second)
        expect(await store.reports.latest(`${name}-none`)).toBeUndefined()
        const summary = ({ report: _, ...rest }: ReturnType<typeof report>) => rest
        expect(await store.reports.list({ name, limit: 10 })).toEqual([
          summary(second),
          summary(first),
        ])
        expect(await store.reports.list({ name, limit: 1 })).toEqual([summary(second)])
        const all = await store.reports.list({ limit: 1_000 })
        expect(all.map((r) => r.id).filter((id) => id.startsWith(name))).toEqual([
          `${name}-3`,
          `${name}-2`,
          `${name}-1`,
        ])
      })

      it('replaces a report saved again under its id, refuses a drift rate out of range, and prunes by age', async () => {
        const name = `reconcile-${randomUUID()}`
        await store.reports.save(report(name, `${name}-1`, 10))
        await store.reports.save({ ...report(name, `${name}-1`, 10), driftRate: 0.5 })
        expect((await store.reports.get(`${name}-1`))?.driftRate).toBe(0.5)
        await expect(store.reports.save(report(name, `${name}-2`, 10, 1.5))).rejects.toThrow()
        expect(await store.reports.get(`${name}-2`)).toBeUndefined()
        await store.reports.save(report(name, `${name}-3`, 5_000))
        expect(await store.reports.prune(11)).toBeGreaterThanOrEqual(1)
        expect(await store.reports.get(`${name}-1`)).toBeUndefined()
        expect(await store.reports.get(`${name}-3`)).toBeDefined()
      })
    })

    describe('named leases', () => {
      it('hands a lease to one owner at a time, with growing fencing tokens', async () => {
        const name = `lease-${randomUUID()}`
        const a = await store.leases.acquire(name, 'a', 0, 1_000)
        expect(a).toMatchObject({ owner: 'a', expiresAt: 1_000 })
        expect(await store.leases.acquire(name, 'b', 500, 1_000)).toBeNull()
        expect(await store.leases.renew(a!, 900, 1_000)).toMatchObject({ expiresAt: 1_900 })
        const b = await store.leases.acquire(name, 'b', 1_901, 1_000)
        expect(b?.token).toBeGreaterThan(a?.token ?? Infinity)
        expect(await store.leases.renew(a!, 1_950, 1_000)).toBeNull()
        expect(await store.leases.release(a!)).toBe(false)
        expect(await store.leases.release(b!)).toBe(true)
        const c = await store.leases.acquire(name, 'c', 1_960, 1_000)
        expect(c?.token).toBeGreaterThan(b?.token ?? Infinity)
      })
    })
  })
}
