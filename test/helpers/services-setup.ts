import pg from 'pg'
import { Redis } from 'ioredis'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Reachable PostgreSQL URL, or null when tests that need it must be skipped (never under CI). */
    pgUrl: string | null
    /** Reachable Redis URL, or null when tests that need it must be skipped (never under CI). */
    redisUrl: string | null
  }
}

// Outside CI an unset variable falls back to the usual local service, so `npm test` on a
// developer machine with PostgreSQL and Redis running exercises them without set-up.
const localDefaults = {
  SEAMLINE_TEST_PG_URL: 'postgres://postgres@127.0.0.1:5432/test',
  SEAMLINE_TEST_REDIS_URL: 'redis://127.0.0.1:6379',
} as const

type Variable = keyof typeof localDefaults

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function probeRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
  } finally {
    client.disconnect()
  }
}

async function resolve(
  env: NodeJS.ProcessEnv,
  variable: Variable,
  probe: (url: string) => Promise<void>,
): Promise<{ url: string | null; problem?: string }> {
  const ci = env.CI === 'true'
  const given = env[variable]
  if (!given && ci) return { url: null, problem: `${variable} is not set` }
  const url = given || localDefaults[variable]
  try {
    await probe(url)
    return { url }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return { url: null, problem: `${variable} (${url}) is unreachable: ${why}` }
  }
}

export interface Services {
  pgUrl: string | null
  redisUrl: string | null
  /** One line per service that is missing, naming its variable and why. */
  problems: string[]
}

/** Finds the test services from `env` and checks that each one answers. */
export async function findServices(env: NodeJS.ProcessEnv): Promise<Services> {
  const [postgres, redis] = await Promise.all([
    resolve(env, 'SEAMLINE_TEST_PG_URL', probePostgres),
    resolve(env, 'SEAMLINE_TEST_REDIS_URL', probeRedis),
  ])
  const problems = [postgres.problem, redis.problem].filter((p): p is string => p !== undefined)
  return { pgUrl: postgres.url, redisUrl: redis.url, problems }
}

// Under CI a missing service fails the run; elsewhere the tests that need it skip, loudly.
export default async function setup(project: TestProject): Promise<void> {
  const { pgUrl, redisUrl, problems } = await findServices(process.env)
  if (problems.length > 0) {
    if (process.env.CI === 'true') {
      throw new Error(
        `CI=true requires PostgreSQL and Redis for the integration tests:\n  ${problems.join('\n  ')}`,
      )
    }
    console.warn(
      `\n[seamline] integration tests that need these services are skipped:\n  ${problems.join('\n  ')}\n`,
    )
  }
  project.provide('pgUrl', pgUrl)
  project.provide('redisUrl', redisUrl)
}
