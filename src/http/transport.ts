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

/** The default transport: undici's `request` over a keep-alive dispatcher (the global one unless given). */
export function undiciTransport(options: { dispatcher?: Dispatcher } = {}): Transport {
  return async (request, signal) => {
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    })
    return {
      status: response.statusCode,
      headers: response.headers,
      body: {
        text: () => response.body.text(),
        dump: () => response.body.dump(),
        [Symbol.asyncIterator]: () => response.body[Symbol.asyncIterator](),
      },
    }
  }
}
