import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestUrl, writeAnswer } from './adapters/node-response.js'
import type { WebhookInbox } from './inbox.js'

/**
 * A `node:http` request listener for one source: the body is read from the request stream as
 * raw bytes (never parsed and re-serialized), so signatures verify.
 */
export function nodeHandler(
  inbox: WebhookInbox,
  source: string,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = requestUrl(request)
    inbox
      .receive({
        source,
        headers: request.headers,
        body: request,
        ...(url !== undefined && { url }),
        ...(request.method !== undefined && { method: request.method }),
      })
      .then((answer) => writeAnswer(request, response, answer))
      .catch(() => {
        if (!response.headersSent) response.writeHead(500).end()
        else response.destroy()
      })
  }
}
