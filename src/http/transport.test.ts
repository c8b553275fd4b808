import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { attemptAbort } from './attempt-abort.js'
import { undiciTransport } from './transport.js'

// Answers /hang never, and /stall with its headers and half a body.
const server = createServer((request, response) => {
  if (request.url === '/stall') response.writeHead(200).write('{"half":')
  else if (request.url !== '/hang') response.end('ok')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const agent = new Agent({ connections: 1 })
const transport = undiciTransport({ dispatcher: agent })
afterAll(async () => {
  server.closeAllConnections()
  server.close()
  await agent.close()
})

const get = (path: string, signal: AbortSignal) =>
  transport({ method: 'GET', url: new URL(path, base), headers: {} }, signal)

describe('undiciTransport', () => {
  it('ends at the abort with its reason, even while waiting for a connection', async () => {
    const busy = attemptAbort()
    const hanging = get('/hang', busy.signal).catch((e: unknown) => e)
    const queued = attemptAbort()
    const waiting = get('/next', queued.signal).catch((e: unknown) => e)
    const reason = new Error('attempt timed out')
    queued.abort(reason)
    expect(await waiting).toBe(reason)
    busy.abort(reason)
    expect(await hanging).toBe(reason)
  })

  it('answers, and refuses a URL that is not http or https as undici does', async () => {
    const response = await get('/ok', new AbortController().signal)
    expect([response.status, await response.body.text()]).toEqual([200, 'ok'])
    const refused = await transport(
      { method: 'GET', url: new URL('file:///etc/hosts'), headers: {} },
      new AbortController().signal,
    ).catch((e: unknown) => e)
    expect(refused).toMatchObject({
      code: 'UND_ERR_INVALID_ARG',
      message: 'Invalid URL protocol: the URL must start with `http:` or `https:`.',
    })
  })

  it('ends a body that stalls at the abort, with its reason', async () => {
    const controller = new AbortController()
    const response = await get('/stall', controller.signal)
    const reading = response.body.text().catch((e: unknown) => e)
    const reason = new Error('attempt timed out')
    controller.abort(reason)
    expect(await reading).toBe(reason)
  })
})
