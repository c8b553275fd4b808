import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { HttpStatusError } from '../../http/index.js'
import type { Redactor } from '../../credentials/index.js'
import { refusalOf, refuse, type Wording } from '../refusals.js'
import type { ProxyCall } from './call.js'
import type { Upstream } from './upstream.js'

const droppedAnswer = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'set-cookie',
])

/** The provider's own error answer, as it gave it: the app judges its 4xx. */
function relayError(reply: FastifyReply, error: HttpStatusError): FastifyReply {
  reply.code(error.status)
  for (const [name, value] of Object.entries(error.headers)) {
    if (!droppedAnswer.has(name) && name !== 'content-encoding') reply.header(name, value)
  }
  return reply.send(
    typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? null),
  )
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
    const answer = await services.upstream.send<AsyncIterable<Uint8Array> | undefined>(call, {
      signal: abort.signal,
      stream: true,
    })
    reply.code(answer.status)
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!droppedAnswer.has(name)) reply.header(name, value)
    }
    return reply.send(answer.body ? Readable.from(answer.body) : '')
  } catch (error) {
    if (error instanceof HttpStatusError) return relayError(reply, error)
    const refusal = refusalOf(error, services.redactor)
    if (!refusal) throw error
    return refuse(reply, refusal, services.wording)
  }
}
