// The processes of the proxy benchmark, each apart from the load generator:
//   node gateway-proxy.mjs upstream            the Stripe simulator, unlimited, no faults
//   node gateway-proxy.mjs gateway URL KEY TOKEN  the gateway, proxying /proxy/stripe/* to URL
//                                                 for the app holding the proxy token TOKEN
// Each prints one JSON line once it listens ({"port":N}, and the upstream its "apiKey"), and
// closes and exits when its stdin ends.
const [mode, upstream, apiKey, proxyToken] = process.argv.slice(2)

let port
let extra = {}
let close
if (mode === 'upstream') {
  const { createSimulator } = await import('../../dist/testing/index.js')
  const sim = await createSimulator({
    profile: 'stripe',
    seed: 1,
    stripe: { ratePerSecond: 1e9, concurrency: 1e9 },
  })
  port = Number(new URL(sim.url).port)
  extra = { apiKey: sim.credentials.apiKey }
  close = () => sim.close()
} else if (mode === 'gateway') {
  const { createGateway, parseConfig } = await import('../../dist/gateway/index.js')
  const gateway = await createGateway(
    parseConfig({
      store: ':memory:',
      logLevel: 'warn',
      proxy: { tokens: ['BENCH_PROXY_TOKEN'] },
      providers: {
        stripe: {
          baseUrl: upstream,
          credentials: { apiKey: 'BENCH_STRIPE_KEY' },
          // The simulator is unlimited here: the benchmark measures the proxy, not a quota.
          limits: [{ name: 'second', limit: 1_000_000, windowMs: 1_000 }],
        },
      },
    }),
    { env: { BENCH_STRIPE_KEY: apiKey, BENCH_PROXY_TOKEN: proxyToken } },
  )
  port = Number(new URL(await gateway.start(0, '127.0.0.1')).port)
  close = () => gateway.stop()
} else {
  console.error('usage: gateway-proxy.mjs upstream | gateway URL KEY TOKEN')
  process.exit(2)
}

process.stdout.write(`${JSON.stringify({ port, ...extra })}\n`)
process.stdin.resume()
process.stdin.on('end', async () => {
  await close()
  process.exit(0)
})
