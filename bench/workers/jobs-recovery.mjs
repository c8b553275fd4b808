// One worker process of the recovery benchmark, with Seamline's default worker settings, on the
// SQLite file given. It prints one JSON line when it is ready and one each time a handler starts.
// A `victim`'s handler never returns (the benchmark SIGKILLs the process while it runs); a
// `rescuer`'s returns at once. SIGTERM stops it gracefully.
//   node jobs-recovery.mjs ROLE PATH
import { createJobs, sqliteStore } from '../../dist/jobs/index.js'

const [role, path] = process.argv.slice(2)
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)

const store = sqliteStore({ path })
const jobs = createJobs({ store })
jobs.define('recover-me', async (_payload, ctx) => {
  say({ event: 'started', delivery: ctx.job.delivery, rescues: ctx.job.rescues })
  if (role === 'victim') await new Promise(() => setInterval(() => undefined, 60_000))
})
jobs.start()
say({ event: 'ready' })

process.on('SIGTERM', () => {
  void (async () => {
    await jobs.stop({ timeoutMs: 1_000 })
    await store.close()
    process.exit(0)
  })()
})
