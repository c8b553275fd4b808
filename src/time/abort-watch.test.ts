import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { watchAbort } from './abort-watch.js'

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length

describe('watchAbort', () => {
  it('calls every watcher once on abort through a single listener, then holds none', () => {
    const controller = new AbortController()
    const calls: number[] = []
    const callback = (): void => void calls.push(1)
    watchAbort(controller.signal, callback)
    watchAbort(controller.signal, callback)
    watchAbort(controller.signal, () => calls.push(2))
    expect(listeners(controller.signal)).toBe(1)
    controller.abort()
    controller.abort()
    expect(calls).toEqual([1, 1, 2])
    expect(listeners(controller.signal)).toBe(0)
  })

  it('removes the listener when the last watcher stops, and stopping twice is harmless', () => {
    const controller = new AbortController()
    let called = false
    const stopA = watchAbort(controller.signal, () => (called = true))
    const stopB = watchAbort(controller.signal, () => (called = true))
    stopA()
    stopA()
    expect(listeners(controller.signal)).toBe(1)
    stopB()
    expect(listeners(controller.signal)).toBe(0)
    controller.abort()
    expect(called).toBe(false)
  })

  it('watches afresh after every earlier watcher stopped', () => {
    const controller = new AbortController()
    watchAbort(controller.signal, () => {})()
    let called = false
    watchAbort(controller.signal, () => (called = true))
    controller.abort()
    expect(called).toBe(true)
  })
})
