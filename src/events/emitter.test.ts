import { describe, expect, it, vi } from 'vitest'
import { createEmitter } from './index.js'

type Events = { 'retry:attempt': { attempt: number }; 'retry:giveup': { reason: string } }

describe('createEmitter', () => {
  it('delivers typed events to each listener until it unsubscribes', () => {
    const events = createEmitter<Events>()
    const seen: number[] = []
    const listener = (e: { attempt: number }): void => void seen.push(e.attempt)
    const offA = events.on('retry:attempt', listener)
    events.on('retry:attempt', listener)
    events.emit('retry:attempt', { attempt: 1 })
    offA()
    offA()
    events.emit('retry:attempt', { attempt: 2 })
    expect(seen).toEqual([1, 1, 2])
    expect(events.listens('retry:attempt')).toBe(true)
    expect(events.listens('retry:giveup')).toBe(false)
  })

  it('reports a throwing listener as a warning and still calls the others', () => {
    const events = createEmitter<Events>()
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const after = vi.fn()
    events.on('retry:giveup', () => {
      throw new Error('boom')
    })
    events.on('retry:giveup', after)
    expect(() => events.emit('retry:giveup', { reason: 'x' })).not.toThrow()
    expect(after).toHaveBeenCalledOnce()
    expect(warn).toHaveBeenCalledWith(
      'a listener for "retry:giveup" threw: Error: boom',
      'SeamlineWarning',
    )
    warn.mockRestore()
  })
})
