import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { Pool } from 'undici'
import type { Benchmark } from '../harness.js'
import { collectGarbage, percentile } from '../harness.js'
import { sleep } from '../load.js'
import { webhookScheme } from '../../dist/webhooks/index.js'

// Stripe webhooks received durably: Seamline's inbox (node:http + `nodeHandler`) against the
// handler most apps ship (Express + `stripe.webhooks.constructEvent` + one INSERT … ON CONFLICT
// DO NOTHING per request), on SQLite and on PostgreSQL. Each server runs in a child process of
// its own; this process only generates the load.

const pgUrl = process.env.SEAMLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const server = fileURLToPath(new URL('../workers/webhooks-server.mjs', import.meta.url))
const secret = `whsec_${randomBytes(24).toString('base64')}`
const path = '/webhooks/stripe'
const inFlight = 64
const pacedRate = 2_000
const pacedMs = 3_000
const pacedConnections = 128
/** One delivery in `duplicateEvery` re-delivers an event already sent in the same run. */
const duplicateEvery = 20
const tag = randomBytes(4).toString('hex')
const stripeScheme = webhookScheme('stripe')

let runs = 0
let admin: pg.Pool | undefined

/** A `payment_intent.succeeded` event as Stripe sends it (about 1.6 KB). */
function stripeEvent(id: string, n: number): string {
  const created = Math.floor(Date.now() / 1_000)
  const customer = `cus_${tag}${(n % 997).toString().padStart(10, '0')}`
  const intent = `pi_3${tag}${n.toString(36).padStart(16, '0')}`
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2024-06-20',
    created,
    data: {
      object: {
        id: intent,
        object: 'payment_intent',
        amount: 1_000 + (n % 50_000),
        amount_capturable: 0,
        amount_details: { tip: {} },
        amount_received: 1_000 + (n % 50_000),
        application: null,
        application_fee_amount: null,
        automatic_payment_methods: { allow_redirects: 'always', enabled: true },
        canceled_at: null,
        cancellation_reason: null,
        capture_method: 'automatic_async',
        client_secret: `${intent}_secret_${randomBytes(12).toString('hex')}`,
        confirmation_method: 'automatic',
        created,
        currency: 'usd',
        customer,
        description: `Order #${100_000 + n}`,
        invoice: null,
        last_payment_error: null,
        latest_charge: `ch_3${tag}${n.toString(36).padStart(16, '0')}`,
        livemode: false,
        metadata: { order_id: String(100_000 + n), channel: 'web' },
        next_action: null,
        on_behalf_of: null,
        payment_method: `pm_1${tag}${n.toString(36).padStart(16, '0')}`,
        payment_method_configuration_details: { id: 'pmc_1PgT0bLkdIwHu7ixNyaLwpp9', parent: null },
        payment_method_options: {
          card: {
            installments: null,
            mandate_options: null,
            network: null,
            request_three_d_secure: 'automatic',
          },
          link: { persistent_token: null },
        },
        payment_method_types: ['card', 'link'],
        processing: null,
        receipt_email: `customer${n % 997}@example.com`,
        review: null,
        setup_future_usage: null,
        shipping: null,
        source: null,
        statement_descriptor: null,
        statement_descriptor_suffix: null,
        status: 'succeeded',
        transfer_data: null,
        transfer_group: null,
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: {
      id: `req_${randomBytes(7).toString('hex')}`,
      idempotency_key: randomBytes(16).toString('hex'),
    },
    type: 'payment_intent.succeeded',
  })
}

interface Delivery {
  body: string
  headers: Record<string, string>
}

/**
 * `count` signed deliveries of distinct events, but one in `duplicateEvery` delivers again an
 * event sent earlier in the run; also returns how many distinct events they carry.
 */
function deliveries(count: number): { list: Delivery[]; distinct: number } {
  const run = runs++
  const fresh: string[] = []
  const list: Delivery[] = []
  for (let i = 0; i < count; i++) {
    let body: string
    if (i % duplicateEvery === duplicateEvery - 1 && fresh.length > 0) {
      body = fresh[Math.max(0, fresh.length - 1_000)] as string
    } else {
      body = stripeEvent(`evt_3${tag}r${run}n${i.toString(36).padStart(10, '0')}`, i)
      fresh.push(body)
    }
    list.push({
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        ...stripeScheme.sign({ payload: body, secret }),
      },
    })
  }
  return { list, distinct: fresh.length }
}

interface Server {
  origin: string
  /** Distinct events sent to it so far, to check against what it stored. */
  sent: number
  /** Closes it; resolves with the rows its table holds. */
  stop(): Promise<number>
}

/** Starts the server of `mode` on `db` in a child process. */
async function startServer(
  mode: 'seamline' | 'gateway' | 'express',
  db: 'sqlite' | 'postgres',
  target: string,
): Promise<Server> {
  const execArgv = process.env.BENCH_WEBHOOKS_SERVER_EXEC_ARGV?.split(' ').filter(Boolean) ?? []
  const child = spawn(process.execPath, [...execArgv, server, mode, db, target, secret], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done) throw new Error(`the ${mode} server on ${db} did not start`)
  const { port } = JSON.parse(first.value) as { port: number }
  return {
    origin: `http://127.0.0.1:${port}`,
    sent: 0,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r))
      child.stdin.end()
      const last = await lines.next()
      await exited
      return last.done ? NaN : (JSON.parse(last.value) as { stored: number }).stored
    },
  }
}

async function post(pool: Pool, delivery: Delivery): Promise<number> {
  const response = await pool.request({ path, method: 'POST', ...delivery })
  await response.body.dump()
  return response.statusCode
}

/** `inFlight` requests at a time, back to back, until every delivery is acknowledged. */
async function saturate(pool: Pool, list: Delivery[]): Promise<number> {
  let next = 0
  let failed = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < list.length) {
        if ((await post(pool, list[next++] as Delivery)) !== 200) failed++
      }
    }),
  )
  const seconds = (performance.now() - start) / 1_000
  if (failed > 0) throw new Error(`${failed} of ${list.length} deliveries not answered 200`)
  return list.length / seconds
}

/**
 * Offers `pacedRate` deliveries a second on schedule, whether or not earlier ones were answered
 * (open loop); each ack latency is counted from the delivery's scheduled time.
 */
async function paced(pool: Pool, list: Delivery[]): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = []
  const pending: Promise<void>[] = []
  let failed = 0
  const interval = 1_000 / pacedRate
  const start = performance.now()
  let next = 0
  while (next < list.length) {
    const now = performance.now()
    while (next < list.length && start + next * interval <= now) {
      const scheduled = start + next * interval
      pending.push(
        post(pool, list[next++] as Delivery).then((status) => {
          if (status !== 200) failed++
          latencies.push(performance.now() - scheduled)
        }),
      )
    }
    await sleep(1)
  }
  await Promise.all(pending)
  if (failed > 0) throw new Error(`${failed} of ${list.length} deliveries not answered 200`)
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

/** Jobs not yet finished in a store (a PostgreSQL schema or a SQLite file): the gateway's backlog. */
async function unfinished(db: 'sqlite' | 'postgres', where: string): Promise<number> {
  const count = (table: string) =>
    `SELECT count(*) AS n FROM ${table} WHERE state IN ('pending', 'running')`
  if (db === 'postgres') {
    return Number((await admin!.query<{ n: string }>(count(`${where}.seamline_jobs`))).rows[0]!.n)
  }
  const reader = new Database(where, { readonly: true })
  try {
    return (reader.prepare(count('seamline_jobs')).get() as { n: number }).n
  } finally {
    reader.close()
  }
}

/** Waits, untimed, until the gateway has forwarded every event it took in. */
async function forwarded(db: 'sqlite' | 'postgres', where: string): Promise<void> {
  const deadline = Date.now() + 300_000
  while ((await unfinished(db, where)) > 0) {
    if (Date.now() > deadline) throw new Error('the gateway did not forward its backlog in 5 min')
    await sleep(100)
  }
}

/** One run: a saturating run of `ops` deliveries, then a paced run at `pacedRate`/s. */
async function run(target: Server, ops: number) {
  const load = deliveries(ops)
  target.sent += load.distinct
  const saturating = new Pool(target.origin, { connections: inFlight, keepAliveTimeout: 60_000 })
  const eventsPerSec = await saturate(saturating, load.list)
  await saturating.close()
  await sleep(200)
  // Signed now: the saturating run may take longer than the signatures' tolerance.
  const pace = deliveries(Math.round((pacedRate * pacedMs) / 1_000))
  target.sent += pace.distinct
  // Signing allocated megabytes: collected now, the load generator's own pause is not counted
  // against the server as ack latency.
  collectGarbage()
  const pacing = new Pool(target.origin, {
    connections: pacedConnections,
    keepAliveTimeout: 60_000,
  })
  const { p50, p99 } = await paced(pacing, pace.list)
  await pacing.close()
  return { eventsPerSec, p50, p99 }
}

const metrics = [
  { key: 'eventsPerSec', label: 'events/s', better: 'higher' },
  { key: 'p50', label: `ack p50 ms at ${pacedRate.toLocaleString('en-US')}/s`, better: 'lower' },
  { key: 'p99', label: `ack p99 ms at ${pacedRate.toLocaleString('en-US')}/s`, better: 'lower' },
] as const

const how = (db: string, store: string, baseline: string) =>
  `Each server runs in a child process of its own (started once, kept warm across rounds, one Node process each); this process generates the load with an undici \`Pool\` on keep-alive connections to 127.0.0.1. Every delivery is a \`payment_intent.succeeded\` event of about 1.6 KB, signed beforehand with Stripe's scheme (\`Stripe-Signature\`, fresh timestamps); one delivery in ${duplicateEvery} re-delivers an event sent about 1,000 deliveries earlier in the same run, so it must be verified and then recognized as a duplicate. events/s: a run of ops deliveries with ${inFlight} in flight at all times, each answered 200 before the next is sent on its connection. Ack latency: then, after a full garbage collection in this process (so that its own pause is not counted as the server's), ${pacedMs / 1_000} s at ${pacedRate.toLocaleString('en-US')} deliveries/s offered on schedule (open loop, up to ${pacedConnections} connections), each latency counted from the delivery's scheduled time to the end of its 200. Seamline: node:http with \`nodeHandler(inbox, 'stripe')\` and \`createWebhookInbox\` on ${store}: each event verified, deduplicated and committed with its \`webhook:stripe\` job before the 200; the jobs are enqueued but the worker is not running during the measurement. \`seamline gateway\`: the whole gateway (\`createGateway\`: Fastify, the same inbox on the same kind of store, logs at \`warn\`) with its worker running, forwarding every event, signed with Standard Webhooks headers, to a destination in the gateway's process that answers 200 at once: ingress and delivery share the process and the database during the measurement; after each of its runs, untimed, it forwards its backlog to the end, so that no other subject's run shares the machine with it. Baseline: Express 5 with \`express.raw({ type: 'application/json' })\`, \`stripe.webhooks.constructEvent\` (stripe 23) and ${baseline} on the same ${db}, the event id, type and body as text. Both check that each server stored exactly the distinct events sent to it.`

function inboxBenchmark(db: 'sqlite' | 'postgres'): Benchmark {
  let dir = ''
  const schemas: string[] = []
  const servers: Partial<Record<'seamline' | 'gateway' | 'express', Server>> = {}
  const schemaOf = (subject: string) => `bench_webhooks_${tag}_${subject}`
  const target = async (subject: 'seamline' | 'gateway' | 'express') => {
    if (db === 'sqlite') return join(dir, `${subject}.sqlite`)
    const schema = schemaOf(subject)
    await admin!.query(`CREATE SCHEMA ${schema}`)
    schemas.push(schema)
    return `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  }
  return {
    name: `Webhook inbox: Stripe events on ${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    what: `Stripe webhook deliveries verified, deduplicated and committed before the 200, per second under saturating load, and the ack latency at ${pacedRate.toLocaleString('en-US')} deliveries/s offered: Seamline's inbox against the handler most apps ship.`,
    how:
      db === 'sqlite'
        ? how(
            'database file',
            '`sqliteStore` (WAL, `synchronous=FULL`; deliveries that arrive together share one transaction)',
            'one better-sqlite3 `INSERT … ON CONFLICT DO NOTHING` per request (one statement, one transaction, in WAL mode with `synchronous=FULL`)',
          )
        : how(
            'database (a schema of its own per server, dropped afterwards)',
            '`postgresStore` (a pool of 10; deliveries that arrive together share one transaction)',
            'one `INSERT … ON CONFLICT DO NOTHING` per request on a `pg` pool of 10 (autocommit: one transaction per request)',
          ),
    durability:
      db === 'sqlite'
        ? 'SQLite in WAL mode with `synchronous=FULL` for both'
        : 'PostgreSQL 15 with its defaults (`fsync` and `synchronous_commit` on) for both',
    ops: 10_000,
    repetitions: 5,
    metrics,
    setup: async () => {
      if (db === 'sqlite') dir = mkdtempSync(join(tmpdir(), 'seamline-bench-webhooks-'))
      else admin = new pg.Pool({ connectionString: pgUrl, max: 2 })
      servers.seamline = await startServer('seamline', db, await target('seamline'))
      servers.gateway = await startServer('gateway', db, await target('gateway'))
      servers.express = await startServer('express', db, await target('express'))
    },
    teardown: async () => {
      const wrong: string[] = []
      try {
        for (const [subject, s] of Object.entries(servers)) {
          const stored = await s.stop()
          if (stored !== s.sent) wrong.push(`${subject} stored ${stored} of ${s.sent} events`)
        }
      } finally {
        if (db === 'sqlite') rmSync(dir, { recursive: true, force: true })
        else {
          for (const schema of schemas)
            await admin!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
          await admin!.end()
          admin = undefined
        }
      }
      if (wrong.length > 0) throw new Error(wrong.join('; '))
    },
    subjects: {
      seamline: (ops) => run(servers.seamline!, ops),
      'seamline gateway': async (ops) => {
        const result = await run(servers.gateway!, ops)
        await forwarded(db, db === 'sqlite' ? join(dir, 'gateway.sqlite') : schemaOf('gateway'))
        return result
      },
      'Express + stripe SDK + INSERT': (ops) => run(servers.express!, ops),
    },
  }
}

export default [inboxBenchmark('sqlite'), inboxBenchmark('postgres')]
