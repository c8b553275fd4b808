// The server side of the webhook inbox benchmark, in a process of its own so the load generator
// does not share its event loop. Prints one JSON line `{"port":N}` once it listens; when its
// stdin ends it prints `{"stored":N}` (the events in its table), closes and exits.
//   node webhooks-server.mjs seamline|gateway|express sqlite|postgres PATH_OR_URL SECRET
//
// seamline: node:http + `nodeHandler` + `createWebhookInbox` on `sqliteStore` (synchronous=FULL)
//   or `postgresStore`; the jobs are enqueued with each event, the worker is not started.
// gateway: the whole gateway (`createGateway`, Fastify, logs at warn) on the same store, its
//   worker running and forwarding each event, signed, to a destination in this process.
// express: express.raw + stripe.webhooks.constructEvent + one INSERT … ON CONFLICT DO NOTHING per
//   request (better-sqlite3 in WAL mode with synchronous=FULL, or a `pg` pool of 10).
import { createServer } from 'node:http'

const [mode, db, target, secret] = process.argv.slice(2)
if (!mode || !db || !target || !secret) {
  console.error(
    'usage: webhooks-server.mjs seamline|gateway|express sqlite|postgres PATH_OR_URL SECRET',
  )
  process.exit(2)
}

let listener
let stored
let close
let port

/** The number of stored events, read from the inbox table of `db` at `target`. */
async function inboxCount() {
  if (db === 'sqlite') {
    const { default: Database } = await import('better-sqlite3')
    const reader = new Database(target, { readonly: true })
    const { n } = reader.prepare('SELECT count(*) AS n FROM seamline_inbox').get()
    reader.close()
    return n
  }
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: target })
  await client.connect()
  const { rows } = await client.query('SELECT count(*)::int AS n FROM seamline_inbox')
  await client.end()
  return rows[0].n
}

if (mode === 'seamline') {
  const { createJobs, postgresStore, sqliteStore } = await import('../../dist/jobs/index.js')
  const { createWebhookInbox, nodeHandler } = await import('../../dist/webhooks/index.js')
  const store =
    db === 'sqlite'
      ? sqliteStore({ path: target, synchronous: 'full' })
      : await postgresStore({ url: target })
  const jobs = createJobs({ store })
  const inbox = createWebhookInbox({
    store,
    jobs,
    sources: { stripe: { scheme: 'stripe', secrets: [secret] } },
  })
  // Defined so the jobs have a handler; the worker is never started in this benchmark.
  inbox.on('stripe', () => undefined)
  listener = nodeHandler(inbox, 'stripe')
  stored = inboxCount
  close = () => store.close()
} else if (mode === 'gateway') {
  const { createGateway, parseConfig } = await import('../../dist/gateway/index.js')
  const destination = createServer((request, response) => {
    request.resume()
    request.on('end', () => response.end('{}'))
  })
  await new Promise((resolve) => destination.listen(0, '127.0.0.1', resolve))
  const gateway = await createGateway(
    parseConfig({
      store: target,
      logLevel: 'warn',
      webhooks: {
        sources: {
          stripe: {
            provider: 'stripe',
            secrets: ['BENCH_STRIPE_SECRET'],
            destination: {
              url: `http://127.0.0.1:${destination.address().port}/hooks`,
              secret: 'BENCH_DESTINATION_SECRET',
            },
          },
        },
      },
    }),
    {
      env: {
        BENCH_STRIPE_SECRET: secret,
        BENCH_DESTINATION_SECRET: `whsec_${Buffer.from('bench-destination-key').toString('base64')}`,
      },
    },
  )
  port = Number(new URL(await gateway.start(0, '127.0.0.1')).port)
  stored = inboxCount
  close = async () => {
    await gateway.stop()
    destination.closeAllConnections()
    await new Promise((resolve) => destination.close(resolve))
  }
} else if (mode === 'express') {
  const { default: express } = await import('express')
  const { default: Stripe } = await import('stripe')
  // No request is ever sent to Stripe: only the webhook helper is used.
  const stripe = new Stripe('sk_test_benchmark')
  let insert
  if (db === 'sqlite') {
    const { default: Database } = await import('better-sqlite3')
    const sqlite = new Database(target)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = FULL')
    sqlite.exec(`CREATE TABLE IF NOT EXISTS stripe_events (
      id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL)`)
    const statement = sqlite.prepare(
      'INSERT INTO stripe_events (id, type, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    )
    insert = async (event, body) => {
      statement.run(event.id, event.type, body.toString('utf8'), Date.now())
    }
    stored = () => sqlite.prepare('SELECT count(*) AS n FROM stripe_events').get().n
    close = async () => sqlite.close()
  } else {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: target, max: 10 })
    await pool.query(`CREATE TABLE IF NOT EXISTS stripe_events (
      id text PRIMARY KEY, type text NOT NULL, payload text NOT NULL, received_at bigint NOT NULL)`)
    insert = async (event, body) => {
      await pool.query(
        'INSERT INTO stripe_events (id, type, payload, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [event.id, event.type, body.toString('utf8'), Date.now()],
      )
    }
    stored = async () =>
      (await pool.query('SELECT count(*)::int AS n FROM stripe_events')).rows[0].n
    close = () => pool.end()
  }
  const app = express()
  app.post('/webhooks/stripe', express.raw({ type: 'application/json' }), (req, res) => {
    let event
    try {
      event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], secret)
    } catch (error) {
      res.status(400).send(`Webhook Error: ${error.message}`)
      return
    }
    insert(event, req.body).then(
      () => res.json({ received: true }),
      () => res.status(500).end(),
    )
  })
  listener = app
} else {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}

const server = listener && createServer(listener)
if (server) {
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = server.address().port
}
process.stdout.write(`${JSON.stringify({ port })}\n`)

process.stdin.resume()
process.stdin.on('end', async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  const n = await stored()
  process.stdout.write(`${JSON.stringify({ stored: n })}\n`)
  await close()
  process.exit(0)
})
