import type { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { HttpStatusError } from '../../http/index.js'
import type { Redactor } from '../../credentials/index.js'
import { refusalOf, refuse, type Wording } from '../refusals.js'
import type { ProxyCall } from './call.js'
import type { Upstream } from './upstream.js'

// Hop-by-hop headers, and cookies of the provider's, which are not the app's to keep. The
// length stays: the body goes on as the bytes it counts.
const dropped = new Set(['connection', 'keep-alive', 'transfer-encoding', 'set-cookie'])
// An error's body was read (and decoded) by the client: its length and encoding are no more.
const droppedFromError = new Set([...dropped, 'content-length', 'content-encoding'])

const kept = (headers: Readonly<Record<string, string>>, drop: ReadonlySet<string>) => {
  const out: Record<string, string> = {}
  for (const name in headers) if (!drop.has(name)) out[name] = headers[name]!
  return out
}

/** The provider's own error answer, as it gave it: the app judges its 4xx. */
function relayError(reply: FastifyReply, error: HttpStatusError): FastifyReply {
  const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? null)
  return reply.code(error.status).headers(kept(error.headers, droppedFromError)).send(body)
}

/**
 * Makes a call at once and streams the provider's answer back; a call the gateway could not
 * complete (quota, breaker, timeout, no token) is refused with its status.
 */
export async function relay(
  reply: FastifyReply,
  call: ProxyCall,
  services: { upstream: Upstream; redactor: Redactor; wording: Wording | undefined },
): Promise<FastifyReply> {
  // The app's connection closing before the answer is sent is what cancels the call; the
  // request's own `close` fires as soon as its body has been read, so it says nothing of that.
  const abort = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort()
  })
  try {
    const answer = await services.upstream.send<Readable | undefined>(call, {
      signal: abort.signal,
      stream: true,
    })
    // undici's body is a stream already: piped as it is, bytes as they come.
    return reply
      .code(answer.status)
      .headers(kept(answer.headers, dropped))
      .send(answer.body ?? '')
  } catch (error) {
    if (error instanceof HttpStatusError) return relayError(reply, error)
    const refusal = refusalOf(error, services.redactor)
    if (!refusal) throw error
    return refuse(reply, refusal, services.wording)
  }
}
