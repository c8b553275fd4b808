import { describe, expect, it } from 'vitest'
import { compose, intercept, settle, type Interceptor } from './index.js'

describe('composition', () => {
  it('runs interceptors outer to inner on the way in and inner to outer on the way out', async () => {
    const trail: string[] = []
    const tag =
      (name: string): Interceptor<string, string> =>
      (next) =>
      async (request, signal) => {
        trail.push(`${name}>`)
        const response = await next(`${request}+${name}`, signal)
        trail.push(`<${name}`)
        return `${response}+${name}`
      }
    const send = compose(tag('a'), tag('b'))(async (request) => `sent(${request})`)
    expect(await send('req', new AbortController().signal)).toBe('sent(req+a+b)+b+a')
    expect(trail).toEqual(['a>', 'b>', '<b', '<a'])
  })

  it('runs each call under a policy used as an interceptor, passing its signal on', async () => {
    const seen: AbortSignal[] = []
    const inner = new AbortController().signal
    const policy = { execute: <T>(work: (s: AbortSignal) => Promise<T>) => work(inner) }
    const send = intercept<string, number>(policy)(async (request, signal) => {
      seen.push(signal)
      return request.length
    })
    expect(await send('four', new AbortController().signal)).toBe(4)
    expect(seen).toEqual([inner])
  })

  it('settles a promise into an outcome without throwing', async () => {
    expect(await settle(Promise.resolve(1))).toEqual({ ok: true, value: 1 })
    const error = new Error('x')
    expect(await settle(Promise.reject(error))).toEqual({ ok: false, error })
  })
})
