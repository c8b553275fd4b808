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

/** Transports that take an `attemptAbort` handle in place of an AbortSignal (undici's). */
export const takesAttemptAbort = new WeakSet<Transport>()

/** The default transport: undici's `request` over a keep-alive dispatcher (the global one unless given). */
export function undiciTransport(options: { dispatcher?: Dispatcher } = {}): Transport {
  const transport: Transport = async (request, signal) => {
    // Left-out options are undefined rather than absent: undici takes both, and no spread is made.
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      dispatcher: options.dispatcher,
    } as Parameters<typeof undiciRequest>[1])
    // undici's body already reads as text, dumps and iterates: it is passed on as it is.
    return { status: response.statusCode, headers: response.headers, body: response.body }
  }
  takesAttemptAbort.add(transport)
  return transport
}
