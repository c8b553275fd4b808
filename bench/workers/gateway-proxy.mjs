// The processes of the proxy benchmark, each apart from the load generator:
//   node gateway-proxy.mjs upstream            the Stripe simulator, unlimited, no faults
//   node gateway-proxy.mjs gateway URL KEY TOKEN  the gateway, proxying /proxy/stripe/* to URL
//                                                 for the app holding the proxy token TOKEN
//   node gateway-proxy.mjs bare URL KEY          the least a proxy does: node:http passing each
//                                                 call to URL with undici, the key put in
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
} else if (mode === 'bare') {
  ;({ port, close } = await bareProxy(upstream, apiKey))
} else {
  console.error('usage: gateway-proxy.mjs upstream | gateway URL KEY TOKEN | bare URL KEY')
  process.exit(2)
}

process.stdout.write(`${JSON.stringify({ port, ...extra })}\n`)
process.stdin.resume()
process.stdin.on('end', async () => {
  await close()
  process.exit(0)
})

// No token, quota, retry, breaker, key or error wording: what any proxy costs on this machine.
async function bareProxy(origin, key) {
  const { createServer } = await import('node:http')
  const { Agent } = await import('undici')
  const agent = new Agent({ keepAliveTimeout: 60_000 })
  const hopByHop = ['host', 'connection', 'keep-alive', 'transfer-encoding']
  const server = createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const headers = { ...request.headers, authorization: `Bearer ${key}` }
      for (const name of hopByHop) delete headers[name]
      const path = request.url.slice('/proxy/stripe'.length)
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined
      agent.request({ origin, path, method: request.method, headers, body }, (error, answer) => {
        if (error) return response.writeHead(502).end()
        const out = { ...answer.headers }
        for (const name of hopByHop) delete out[name]
        response.writeHead(answer.statusCode, out)
        answer.body.pipe(response)
      })
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
