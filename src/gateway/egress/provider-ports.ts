import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/**
 * A listener per provider with a `port`, for SDKs that take only a host and a port
 * (stripe-node): its paths are the provider's own, served as `/proxy/<provider>/<path>` on the
 * gateway's interface once the gateway listens, and closed with it.
 */
export function providerPorts(app: FastifyInstance, ports: ReadonlyMap<string, number>): void {
  if (ports.size === 0) return
  const servers: Server[] = []
  app.addHook('onListen', async () => {
    const { address } = app.server.address() as AddressInfo
    for (const [provider, port] of ports) {
      const prefix = `/proxy/${encodeURIComponent(provider)}`
      // The gateway's own deadlines and cap hold here too.
      const main = app.server
      const server = createServer(
        { headersTimeout: main.headersTimeout, connectionsCheckingInterval: 1_000 },
        (request, response) => {
          request.url = `${prefix}${request.url ?? '/'}`
          app.routing(request, response)
        },
      )
      server.requestTimeout = main.requestTimeout
      server.keepAliveTimeout = main.keepAliveTimeout
      server.maxConnections = main.maxConnections
      await listen(server, port, address)
      servers.push(server)
      app.log.info({ provider, port }, `the proxy of ${provider} also listens on port ${port}`)
    }
  })
  app.addHook('onClose', async () => {
    await Promise.all(servers.splice(0).map(close))
  })
}
