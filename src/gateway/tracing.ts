import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Jobs } from '../jobs/index.js'

// The slice of `@opentelemetry/api` used here, so the gateway builds and runs without it.
interface Span {
  setAttribute(key: string, value: string | number): unknown
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
}
interface Tracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Record<string, string | number> },
  ): Span
}

const kind = { server: 1, consumer: 4 } as const
const statusError = 2

interface TracerProvider {
  getDelegate?(): unknown
}

/**
 * OpenTelemetry's tracer when the app has `@opentelemetry/api` installed and has registered a
 * tracer provider (as OpenTelemetry asks, before anything else starts); undefined otherwise, and
 * then the gateway makes no spans and adds no hook to a request.
 */
export async function loadTracer(): Promise<Tracer | undefined> {
  try {
    const api = (await import('@opentelemetry/api')) as unknown as {
      trace: { getTracer(name: string): Tracer; getTracerProvider(): TracerProvider }
      ProxyTracerProvider: new () => TracerProvider
    }
    // A provider nobody registered hands out its no-op delegate, the same one a fresh proxy has.
    const noop = new api.ProxyTracerProvider().getDelegate?.()
    if (api.trace.getTracerProvider().getDelegate?.() === noop) return undefined
    return api.trace.getTracer('seamline')
  } catch {
    return undefined
  }
}

/**
 * A server span per request, named by its route (never by its raw URL, which may carry ids), and
 * a consumer span per job run: a forwarded delivery, a retry, a pruning.
 */
export function traceGateway(tracer: Tracer, app: FastifyInstance, jobs: Jobs): void {
  const spans = new WeakMap<FastifyRequest, Span>()
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    spans.set(
      request,
      tracer.startSpan(`${request.method} ${route}`, {
        kind: kind.server,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      }),
    )
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request)
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode)
      if (reply.statusCode >= 500) span.setStatus({ code: statusError })
      span.end()
    }
    done()
  })

  const running = new Map<string, Span>()
  const finish = (id: string, error?: string): void => {
    const span = running.get(id)
    if (!span) return
    running.delete(id)
    if (error !== undefined) span.setStatus({ code: statusError, message: error })
    span.end()
  }
  jobs.events.on('job:started', ({ id, name, attempt, delivery }) => {
    finish(id)
    running.set(
      id,
      tracer.startSpan(`job ${name}`, {
        kind: kind.consumer,
        attributes: {
          'seamline.job.id': id,
          'seamline.job.attempt': attempt,
          'seamline.job.delivery': delivery,
        },
      }),
    )
  })
  jobs.events.on('job:completed', ({ id }) => finish(id))
  jobs.events.on('job:snoozed', ({ id }) => finish(id))
  jobs.events.on('job:failed', ({ id, error }) => finish(id, `${error.name}: ${error.message}`))
  jobs.events.on('job:dead', ({ id, reason }) => finish(id, `dead letter (${reason})`))
  jobs.events.on('job:lease-lost', ({ id }) => finish(id, 'lease lost'))
}
