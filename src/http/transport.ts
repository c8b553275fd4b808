import { request as undiciRequest, type Dispatcher } from 'undici'

export interface TransportRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body?: string | Uint8Array
}

export interface TransportResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: {
    text(): Promise<string>
    /** Discards the rest of the body so the connection can be reused. */
    dump(): Promise<void>
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array>
  }
}

/** Sends one attempt. The client's policies wrap it; tests inject a scripted one. */
export type Transport = (
  request: TransportRequest,
  signal: AbortSignal,
) => Promise<TransportResponse>

/**
 * Transports that settle as soon as their signal aborts, and take an `attemptAbort` handle in
 * place of an AbortSignal (undici's): the client races them against nothing.
 */
export const takesAttemptAbort = new WeakSet<Transport>()

const once = { once: true }

/** The default transport: undici's `request` over a keep-alive dispatcher (the global one unless given). */
export function undiciTransport(options: { dispatcher?: Dispatcher } = {}): Transport {
  const transport: Transport = (request, signal) =>
    new Promise<TransportResponse>((resolve, reject) => {
      // undici ends a request at the abort only once it has a connection: one still waiting for
      // a connection ends here. Its body, once it comes, ends with undici.
      const fail: (why: unknown) => void = reject
      const abort = (): void => fail(signal.reason)
      if (signal.aborted) return abort()
      signal.addEventListener('abort', abort, once)
      // Left-out options are undefined rather than absent: undici takes both, and no spread is made.
      undiciRequest(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        dispatcher: options.dispatcher,
      } as Parameters<typeof undiciRequest>[1]).then(
        (response) => {
          signal.removeEventListener('abort', abort)
          // undici's body already reads as text, dumps and iterates: it is passed on as it is.
          resolve({ status: response.statusCode, headers: response.headers, body: response.body })
        },
        (error: unknown) => {
          signal.removeEventListener('abort', abort)
          fail(error)
        },
      )
    })
  takesAttemptAbort.add(transport)
  return transport
}
