import { describe, expect, it } from 'vitest'
import { attemptAbort } from './attempt-abort.js'

// The shape undici takes as a signal: `aborted`, `reason` and the EventTarget listener methods.
interface SignalLike {
  aborted: boolean
  reason: unknown
  addEventListener(type: 'abort', listener: () => void): void
  removeEventListener(type: 'abort', listener: () => void): void
}

describe('attemptAbort', () => {
  it('tells the listeners still added, once, and keeps the first reason', () => {
    const handle = attemptAbort()
    const signal = handle.signal as unknown as SignalLike
    const heard: string[] = []
    const kept = (): number => heard.push(`kept:${String(signal.reason)}`)
    const removed = (): number => heard.push('removed')
    signal.addEventListener('abort', kept)
    signal.addEventListener('abort', removed)
    signal.removeEventListener('abort', removed)
    expect(signal.aborted).toBe(false)
    handle.abort('timeout')
    handle.abort('again')
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBe('timeout')
    expect(heard).toEqual(['kept:timeout'])
  })
})
