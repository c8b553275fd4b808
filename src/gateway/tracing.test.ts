import { trace } from '@opentelemetry/api'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { loadTracer } from './tracing.js'

describe('loadTracer', () => {
  afterEach(() => trace.disable())

  it('finds no tracer while no provider is registered, so requests carry no span hooks', async () => {
    expect(await loadTracer()).toBeUndefined()
  })

  it("finds the registered provider's tracer", async () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider())
    const tracer = await loadTracer()
    expect(tracer).toBeDefined()
    const span = tracer!.startSpan('probe') as unknown as { isRecording(): boolean; end(): void }
    expect(span.isRecording()).toBe(true)
    span.end()
  })
})
