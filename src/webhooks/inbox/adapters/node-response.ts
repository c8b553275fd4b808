import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebhookResponse } from '../inbox.js'

/**
 * Whether the request's connection must close after the answer: its body was read in part (the
 * inbox stopped at its limit) or its stream destroyed. Node leaves such a body in the socket
 * rather than drain it, so the next request on a kept-alive connection would never be read.
 */
export const leftUnread = (request: IncomingMessage): boolean =>
  !request.complete && (request.readableDidRead || request.destroyed)

/** Writes the inbox's answer, closing the connection when the body was left unread. */
export function writeAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  { status, headers, body }: WebhookResponse,
): void {
  response
    .writeHead(status, leftUnread(request) ? { ...headers, connection: 'close' } : headers)
    .end(body)
}

/**
 * The absolute URL a request came to, as the schemes that sign it need: from the `Host` header,
 * the path as received, and the protocol the framework determined (by default `https` on a TLS
 * socket). Behind a proxy, give the source its public `url` instead.
 */
export function requestUrl(
  request: IncomingMessage,
  protocol?: string,
  path = request.url,
): string | undefined {
  const host = request.headers.host
  if (host === undefined || host === '' || path === undefined) return undefined
  const scheme = protocol ?? ('encrypted' in request.socket ? 'https' : 'http')
  return `${scheme}://${host}${path}`
}
