import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { PermanentError, createJobs } from '../src/jobs/index.js'
import { sqliteStore, type JobRecord } from '../src/stores/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))
const store = useTempSqliteFile()

async function seamline(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      bin,
      ...args,
      '--store',
      store,
    ])
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

/** Fills the store with dead letters: three declined refunds and two exhausted syncs. */
beforeAll(async () => {
  const db = sqliteStore({ path: store })
  const jobs = createJobs({ store: db, worker: { pollMs: 5 } })
  jobs.define('refund', () => {
    throw new PermanentError('card declined')
  })
  jobs.define(
    'sync',
    () => {
      throw new Error('upstream 503')
    },
    { maxAttempts: 1 },
  )
  await jobs.enqueueMany([
    ...[1, 2, 3].map((n) => ({ name: 'refund', payload: { order: n } })),
    ...[1, 2].map((n) => ({ name: 'sync', payload: { customer: n } })),
  ])
  jobs.start()
  while ((await db.jobs.count({ state: 'dead' })) < 5) await new Promise((r) => setTimeout(r, 10))
  await jobs.stop()
  await db.close()
})

describe('seamline dlq', () => {
  it('lists dead letters, filtered, as text and JSON', async () => {
    const text = await seamline('dlq', 'list')
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('5 shown of 5 dead letters matching')
    // One attempt each: said in the singular.
    expect(text.stdout).toContain('  1 attempt  ')
    expect(text.stdout).not.toContain('1 attempts')
    const json = await seamline('dlq', 'list', '--reason', 'permanent', '--json')
    const jobs = JSON.parse(json.stdout) as JobRecord[]
    expect(jobs.map((j) => [j.name, j.payload])).toEqual([
      ['refund', { order: 1 }],
      ['refund', { order: 2 }],
      ['refund', { order: 3 }],
    ])
    const byError = JSON.parse(
      (await seamline('dlq', 'list', '--error', 'Error', '--json')).stdout,
    ) as JobRecord[]
    expect(byError).toHaveLength(2)
  })

  it('shows one, with its payload and history', async () => {
    const [first] = JSON.parse((await seamline('dlq', 'list', '--json')).stdout) as JobRecord[]
    const shown = await seamline('dlq', 'show', first?.id ?? '')
    expect(shown.stdout).toContain('"order": 1')
    expect(shown.stdout).toMatch(/failed \(attempt 1\) PermanentError: card declined/)
    const missing = await seamline('dlq', 'show', '424242')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('job 424242 does not exist or is not a dead letter')
  })

  it('replays by filter after a dry run, and discards', async () => {
    const dry = await seamline('dlq', 'replay', '--name', 'sync', '--dry-run', '--json')
    expect(JSON.parse(dry.stdout)).toEqual({ dryRun: true, matched: 2, replayed: 0, skipped: 0 })
    const replayed = await seamline('dlq', 'replay', '--name', 'sync', '--rate', '50', '--json')
    expect(JSON.parse(replayed.stdout)).toMatchObject({ matched: 2, replayed: 2 })
    const discarded = await seamline('dlq', 'discard', '--reason', 'permanent')
    expect(discarded.stdout).toContain('matched 3 · discarded 3')
    expect((await seamline('dlq', 'list')).stdout).toContain('0 shown of 0')
    const db = sqliteStore({ path: store })
    expect(await db.jobs.count({ name: 'sync', state: 'pending' })).toBe(2)
    await db.close()
  })

  it('refuses a bulk operation without a filter, and bad input, with exit code 2', async () => {
    const bare = await seamline('dlq', 'replay')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('--all')
    const since = await seamline('dlq', 'list', '--since', 'yesterday')
    expect(since.code).toBe(2)
    expect(since.stderr).toContain('expected a date')
  })
})
