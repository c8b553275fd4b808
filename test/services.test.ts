import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { findServices } from './helpers/services-setup.js'

const root = fileURLToPath(new URL('..', import.meta.url))
// Nothing listens on port 1 of the loopback address: connections are refused at once.
const closed = { pg: 'postgres://postgres@127.0.0.1:1/test', redis: 'redis://127.0.0.1:1' }

describe('finding the test services', () => {
  it('under CI, names each variable that is unset', async () => {
    const found = await findServices({ CI: 'true' })
    expect(found.pgUrl).toBeNull()
    expect(found.redisUrl).toBeNull()
    expect(found.problems).toEqual([
      'SEAMLINE_TEST_PG_URL is not set',
      'SEAMLINE_TEST_REDIS_URL is not set',
    ])
  })

  it('names each service that does not answer, with its URL', async () => {
    const found = await findServices({
      CI: 'true',
      SEAMLINE_TEST_PG_URL: closed.pg,
      SEAMLINE_TEST_REDIS_URL: closed.redis,
    })
    expect(found.problems).toHaveLength(2)
    expect(found.problems[0]).toMatch(
      /^SEAMLINE_TEST_PG_URL \(postgres:\/\/postgres@127\.0\.0\.1:1\/test\) is unreachable: /,
    )
    expect(found.problems[1]).toMatch(
      /^SEAMLINE_TEST_REDIS_URL \(redis:\/\/127\.0\.0\.1:1\) is unreachable: /,
    )
  })

  it('fails the test run under CI when the services are unreachable, naming each', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', 'src/errors/codes.test.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          CI: 'true',
          SEAMLINE_TEST_PG_URL: closed.pg,
          SEAMLINE_TEST_REDIS_URL: closed.redis,
        },
      },
    ).then(
      () => ({ failed: false, output: '' }),
      (error: { stdout: string; stderr: string }) => ({
        failed: true,
        output: error.stdout + error.stderr,
      }),
    )
    expect(result.failed).toBe(true)
    expect(result.output).toContain('CI=true requires PostgreSQL and Redis')
    expect(result.output).toContain('SEAMLINE_TEST_REDIS_URL (redis://127.0.0.1:1) is unreachable')
    expect(result.output).toContain(
      'SEAMLINE_TEST_PG_URL (postgres://postgres@127.0.0.1:1/test) is unreachable',
    )
  })
})
