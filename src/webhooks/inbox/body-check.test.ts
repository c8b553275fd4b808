import { describe, expect, it } from 'vitest'
import { duplicateKey, readPayload } from './body-check.js'

// Why a body is refused, or undefined when it is read.
const bodyProblem = (...args: Parameters<typeof readPayload>) => {
  const read = readPayload(...args)
  return 'problem' in read ? read.problem : undefined
}

const json = { 'content-type': 'application/json' }
const bytes = (text: string) => Buffer.from(text, 'utf8')

describe('body checks', () => {
  it('finds a key twice in one object, however it is spelled, at any depth', () => {
    expect(duplicateKey('{"id":"a","type":"t","id":"b"}')).toBe('id')
    expect(duplicateKey('{"id":"a","\\u0069d":"b"}')).toBe('id')
    expect(duplicateKey('{"data":{"object":{"id":1,"x":[{"id":2},{"id":3}],"id":4}}}')).toBe('id')
    expect(
      duplicateKey('{"a":"{\\"a\\":1}","b":["a","a"],"c":{"a":1},"d":{"a":2}}'),
    ).toBeUndefined()
    expect(duplicateKey('[{"id":1},{"id":1}]')).toBeUndefined()
  })

  it('holds JSON providers, and bodies labelled JSON, to UTF-8 JSON', () => {
    expect(bodyProblem('stripe', json, Buffer.from([0x7b, 0xff, 0x7d]))?.reason).toBe(
      'body_not_utf8',
    )
    expect(bodyProblem('stripe', {}, bytes('id=1'))?.reason).toBe('body_not_json')
    expect(bodyProblem('github', json, bytes('payload=1'))?.reason).toBe('body_not_json')
    expect(bodyProblem('stripe', json, bytes('{"id":"evt_1","id":"evt_2"}'))).toEqual({
      reason: 'duplicate_key',
      message: 'the key "id" appears twice in one object',
    })
  })

  it('lets through forms where a provider sends them, and encoded bodies as they came', () => {
    expect(
      bodyProblem('twilio', { 'content-type': 'application/x-www-form-urlencoded' }, bytes('a=1')),
    ).toBeUndefined()
    expect(
      bodyProblem(
        'github',
        { 'content-type': 'application/x-www-form-urlencoded' },
        bytes('payload=%7B%7D'),
      ),
    ).toBeUndefined()
    expect(
      bodyProblem('stripe', { ...json, 'content-encoding': 'gzip' }, Buffer.from([0x1f, 0x8b])),
    ).toBeUndefined()
    expect(
      bodyProblem('stripe', json, bytes('{"id":"evt_1","type":"charge.succeeded"}')),
    ).toBeUndefined()
  })
})
