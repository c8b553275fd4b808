import { describe, expect, it } from 'vitest'
import { classify, TimeoutError, type CallFacts } from './index.js'

const net = (code: string, onCause = false): Error =>
  onCause
    ? new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) })
    : Object.assign(new Error(code), { code })
const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name]

describe('classify', () => {
  const cases: [string, CallFacts, boolean, string][] = [
    [
      'refused connection, POST',
      { error: net('ECONNREFUSED'), method: 'POST' },
      true,
      'connection failed before the request was sent',
    ],
    [
      'undici connect timeout',
      { error: net('UND_ERR_CONNECT_TIMEOUT', true), method: 'POST' },
      true,
      'connection failed before the request was sent',
    ],
    [
      'reset, GET',
      { error: net('ECONNRESET'), method: 'GET' },
      true,
      'connection lost after the request was sent',
    ],
    [
      'reset, POST',
      { error: net('ECONNRESET', true), method: 'POST' },
      false,
      'connection lost after the request was sent; not retried: POST is not idempotent and has no idempotency key',
    ],
    [
      'reset, POST with key',
      { error: net('ECONNRESET'), method: 'POST', idempotencyKey: true },
      true,
      'connection lost after the request was sent',
    ],
    [
      'EPIPE, PUT',
      { error: net('EPIPE'), method: 'PUT' },
      true,
      'connection lost after the request was sent',
    ],
    [
      'undici socket',
      { error: net('UND_ERR_SOCKET', true), method: 'DELETE' },
      true,
      'connection lost after the request was sent',
    ],
    [
      'attempt timeout, GET',
      {
        error: new TimeoutError({ operation: 'run', target: 'attempt', reason: 'took too long' }),
        method: 'GET',
      },
      true,
      'attempt timed out',
    ],
    [
      'attempt timeout, POST',
      {
        error: new TimeoutError({ operation: 'run', target: 'attempt', reason: 'took too long' }),
        method: 'POST',
      },
      false,
      'attempt timed out; not retried: POST is not idempotent and has no idempotency key',
    ],
    ['429, POST', { status: 429, method: 'POST' }, true, 'rate limited (429)'],
    ['408', { status: 408, method: 'POST' }, true, 'request timeout or too early (408)'],
    ['425', { status: 425, method: 'PATCH' }, true, 'request timeout or too early (425)'],
    ['503, GET', { status: 503, method: 'GET' }, true, 'server error (503)'],
    [
      '500, POST',
      { status: 500, method: 'POST' },
      false,
      'server error; not retried: POST is not idempotent and has no idempotency key (500)',
    ],
    [
      '502, POST with key',
      { status: 502, method: 'POST', idempotencyKey: true },
      true,
      'server error (502)',
    ],
    [
      '504, PATCH with key',
      { status: 504, method: 'patch', idempotencyKey: true },
      true,
      'server error (504)',
    ],
    [
      'Stripe says retry a POST 500',
      { status: 500, method: 'POST', header: headers({ 'stripe-should-retry': 'true' }) },
      true,
      'provider said to retry (500)',
    ],
    [
      'Stripe says no to a 503 GET',
      { status: 503, method: 'GET', header: headers({ 'stripe-should-retry': 'false' }) },
      false,
      'provider said not to retry (503)',
    ],
    [
      'OpenAI x-should-retry on 409',
      { status: 409, method: 'POST', header: headers({ 'x-should-retry': 'true' }) },
      true,
      'provider said to retry (409)',
    ],
    ['400', { status: 400, method: 'GET' }, false, 'client error (400)'],
    ['404', { status: 404, method: 'GET' }, false, 'client error (404)'],
    ['501 is not transient', { status: 501, method: 'GET' }, false, 'status 501'],
    ['200', { status: 200, method: 'POST' }, false, 'ok'],
    ['unknown error', { error: new Error('bug') }, false, 'unrecognised error'],
  ]
  it.each(cases)('%s', (_, facts, retryable, reason) => {
    const result = classify(facts)
    expect(result.retryable).toBe(retryable)
    expect(result.reason).toBe(reason)
  })

  it('lets a caller supply its own table', () => {
    const rules = [
      { reason: 'teapot', verdict: 'retry' as const, matches: (f: CallFacts) => f.status === 418 },
    ]
    expect(classify({ status: 418 }, rules)).toEqual({
      retryable: true,
      verdict: 'retry',
      reason: 'teapot (418)',
    })
  })
})
