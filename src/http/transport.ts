import { errors, getGlobalDispatcher, type Dispatcher } from 'undici'

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
const badProtocol = 'Invalid URL protocol: the URL must start with `http:` or `https:`.'

/**
 * The default transport: undici over a keep-alive dispatcher (the global one unless given). It
 * asks the dispatcher itself, with a callback: undici's top-level `request` copies the options
 * and makes one more promise on every call, the largest cost of the client's pipeline.
 */
export function undiciTransport(options: { dispatcher?: Dispatcher } = {}): Transport {
  const transport: Transport = (request, signal) =>
    new Promise<TransportResponse>((resolve, reject) => {
      // undici ends a request at the abort only once it has a connection: one still waiting for
      // a connection ends here. Its body, once it comes, ends with undici.
      const fail: (why: unknown) => void = reject
      const abort = (): void => fail(signal.reason)
      if (signal.aborted) return abort()
      const { url } = request
      // Refused as undici's `request` refuses it: a dispatcher may fail another way (on `file:`).
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return fail(new errors.InvalidArgumentError(badProtocol))
      signal.addEventListener('abort', abort, once)
      // Left-out options are undefined rather than absent: undici takes both, and no spread is made.
      const init = {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
      } as Dispatcher.RequestOptions
      ;(options.dispatcher ?? getGlobalDispatcher()).request(init, (error, response) => {
        signal.removeEventListener('abort', abort)
        // undici's body already reads as text, dumps and iterates: it is passed on as it is.
        if (error) fail(error)
        else
          resolve({ status: response.statusCode, headers: response.headers, body: response.body })
      })
    })
  takesAttemptAbort.add(transport)
  return transport
}
