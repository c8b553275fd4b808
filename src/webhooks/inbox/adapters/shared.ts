import type { WebhookInbox, WebhookRequest, WebhookResponse } from '../inbox.js'

/**
 * Which source a request is for: one fixed name, or a function that reads it from the request
 * (its route parameter, say); `undefined` answers 404.
 */
export type SourceOf<R> = string | ((request: R) => string | undefined)

const json = (status: number, body: unknown): WebhookResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/** As the inbox answers a source it does not know. */
export const unknownSource = (): WebhookResponse => json(404, { error: 'unknown webhook source' })

/**
 * The answer when a body parser consumed the request before the handler: the signature was made
 * over bytes that are gone, and a re-serialization of what was parsed is not them (a 401 there
 * would blame the provider). 500, so the provider delivers again once the app is fixed.
 */
export const rawBodyGone = (fix: string): WebhookResponse =>
  json(500, {
    error: `the request body was parsed before the webhook handler, so its raw bytes are gone and its signature cannot be verified: ${fix}`,
  })

/** When the request failed under the inbox (the client went away mid-body, say). */
export const failed = (): WebhookResponse => json(500, { error: 'the webhook could not be read' })

/**
 * A Fetch API body as the inbox reads it: chunk by chunk, so a body over the limit is refused
 * without being buffered; what is left unread is cancelled.
 */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let done = false
  try {
    for (;;) {
      const next = await reader.read()
      if (next.done) {
        done = true
        return
      }
      yield next.value
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}

/** `inbox.receive`, answering 500 for a request that failed under it instead of throwing. */
export async function receive(
  inbox: WebhookInbox,
  source: string | undefined,
  request: Pick<WebhookRequest, 'headers' | 'body'> & {
    url: string | undefined
    method: string | undefined
  },
): Promise<WebhookResponse> {
  if (source === undefined) return unknownSource()
  const { headers, body, url, method } = request
  try {
    return await inbox.receive({
      source,
      headers,
      body,
      ...(url !== undefined && { url }),
      ...(method !== undefined && { method }),
    })
  } catch {
    return failed()
  }
}
