import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeamlineError, isSeamlineError } from '../errors/index.js'
import { createRedactor, redact, redactionPatterns, redactValue } from './index.js'

// Fake secrets built at run time, so this file holds nothing a scanner would flag.
const chars = (alphabet: string, length: number): string =>
  Array.from({ length }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join('')
const alnum = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789'
const hex = '0123456789abcdef'
const upper32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const b58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** One fake example per format of reference §4.3, with the mask it gets. */
const samples: [string, string][] = [
  ['stripe', 'sk_' + 'live_' + chars(alnum, 24)],
  ['stripe', 'sk_' + 'test_' + chars(alnum, 99)],
  ['stripe', 'rk_' + 'live_' + chars(alnum, 30)],
  ['stripe', 'pk_' + 'test_' + chars(alnum, 24)],
  ['stripe', 'sk_' + 'prod_' + chars(alnum, 12)],
  ['stripe-webhook-secret', 'whsec_' + chars(alnum + '+/', 32)],
  ['github', 'ghp_' + chars(alnum, 36)],
  ['github', 'gho_' + chars(alnum, 36)],
  ['github', 'ghs_' + chars(alnum, 36)],
  ['github', 'ghr_' + chars(alnum, 36)],
  ['github', 'github_pat_' + chars(alnum + '_', 82)],
  [
    'slack',
    'xoxb-' + chars('0123456789', 12) + '-' + chars('0123456789', 12) + '-' + chars(alnum, 24),
  ],
  [
    'slack',
    'xoxp-' + ['1234567890', '1234567890', '1234567890'].join('-') + '-' + chars(alnum, 32),
  ],
  ['slack', 'xoxe-1-' + chars(alnum, 40)],
  ['slack', 'xapp-1-A' + chars(upper32, 9) + '-1234567890-' + chars(hex, 40)],
  [
    'slack-webhook',
    'https://hooks.slack.com/services/T' +
      chars(upper32, 8) +
      '/B' +
      chars(upper32, 8) +
      '/' +
      chars(alnum, 24),
  ],
  ['twilio', 'SK' + chars(hex, 32)],
  ['twilio', 'AC' + chars(hex, 32)],
  ['openai', 'sk-' + 'proj-' + chars(alnum + '_-', 48)],
  ['openai', 'sk-' + chars(alnum, 20) + 'T3Blbk' + 'FJ' + chars(alnum, 20)],
  ['anthropic', 'sk-' + 'ant-api03-' + chars(alnum + '_-', 93) + 'AA'],
  ['aws', 'AK' + 'IA' + chars(upper32, 16)],
  ['aws', 'AS' + 'IA' + chars(upper32, 16)],
  ['google-api-key', 'AI' + 'za' + chars(alnum + '_-', 35)],
  ['shopify', 'shp' + 'at_' + chars(hex, 32)],
  ['shopify', 'shp' + 'ss_' + chars(hex, 32)],
  ['sendgrid', 'SG.' + chars(alnum + '_-', 22) + '.' + chars(alnum + '_-', 43)],
  ['resend', 're_' + chars(b58, 8) + '_' + chars(b58, 24)],
  ['doppler', 'dp.' + 'pt.' + chars(alnum, 43)],
  ['vault', 'hv' + 's.' + chars(alnum + '_-', 100)],
  ['onepassword', 'ops_' + 'eyJ' + chars(alnum + '+/', 260)],
  [
    'jwt',
    'eyJ' + chars(alnum, 30) + '.eyJ' + chars(alnum + '_-', 60) + '.' + chars(alnum + '_-', 43),
  ],
  [
    'private-key',
    '-----BEGIN RSA ' +
      'PRIVATE KEY-----\n' +
      chars(alnum + '+/', 64) +
      '\n' +
      chars(alnum, 20) +
      '=\n-----END RSA ' +
      'PRIVATE KEY-----',
  ],
  [
    'private-key',
    '-----BEGIN ' + 'PRIVATE KEY-----\n' + chars(alnum, 64) + '\n-----END ' + 'PRIVATE KEY-----',
  ],
]

describe('redact', () => {
  it.each(samples)('masks a %s secret, alone and inside text', (name, secret) => {
    expect(redact(secret)).toBe(`[redacted:${name}]`)
    expect(redact(`before ${secret} after`)).toBe(`before [redacted:${name}] after`)
    expect(redact(`"key":"${secret}",`)).toBe(`"key":"[redacted:${name}]",`)
  })

  it.each(samples)('masks a %s secret once serialised as JSON, even twice', (name, secret) => {
    const once = JSON.stringify({ secret })
    const twice = JSON.stringify({ log: once })
    expect(redact(once)).toBe(JSON.stringify({ secret: `[redacted:${name}]` }))
    expect(redact(twice)).toBe(
      JSON.stringify({ log: JSON.stringify({ secret: `[redacted:${name}]` }) }),
    )
  })

  it('masks a base64 secret whose slashes a serialiser escaped', () => {
    const secret = 'whsec_' + 'ab/cd+ef/gh' + chars(alnum, 24)
    expect(redact(`{"s":"${secret.replace(/\//g, '\\/')}"}`)).toBe(
      '{"s":"[redacted:stripe-webhook-secret]"}',
    )
  })

  it('keeps the scheme of an Authorization header and the user of a URL', () => {
    expect(redact('Authorization: Bearer ' + chars(alnum, 40))).toBe(
      'Authorization: Bearer [redacted:authorization]',
    )
    expect(redact('authorization: basic ' + chars(alnum, 20) + '==')).toBe(
      'authorization: basic [redacted:authorization]',
    )
    expect(redact('postgres://app:s3cr3t-pass@db.internal:5432/app')).toBe(
      'postgres://app:[redacted:url-password]@db.internal:5432/app',
    )
  })

  it('masks a private key cut short, to the end of the text', () => {
    expect(redact('key: -----BEGIN EC ' + 'PRIVATE KEY-----\nMHcCAQEE')).toBe(
      'key: [redacted:private-key]',
    )
  })

  it('has one sample per pattern name', () => {
    const names = new Set(samples.map(([name]) => name))
    for (const { name } of redactionPatterns) {
      if (name === 'authorization' || name === 'url-password') continue
      expect(names, name).toContain(name)
    }
  })

  it('changes nothing in text without secrets', () => {
    const ordinary = [
      'POST https://api.stripe.com/v1/refunds failed with 503 after 3 attempts',
      'job 0b5c1c7e-3f0a-4a3e-9f6d-2a9c1b7e4d10 dead-lettered after 5 attempts',
      'sk_live_ is the marker of a live key',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'md5 d41d8cd98f00b204e9800998ecf8427e',
      'https://example.com/path?query=1#hash',
      'Bearer short',
      'ghp_ tokens look like ghp_ plus 36 characters',
      'at Object.<anonymous> (file.ts:10:5)',
    ]
    for (const text of ordinary) expect(redact(text)).toBe(text)
  })

  it('changes nothing in random ordinary text (property)', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}$/)
    const text = fc
      .array(fc.oneof(word, fc.constantFrom(' ', ', ', '. ', '\n', ': ', '=', '/', '-')), {
        maxLength: 40,
      })
      .map((parts) => parts.join(''))
    fc.assert(fc.property(text, (t) => redact(t) === t))
  })

  it('masks a secret wherever it sits in random text, and keeps the rest (property)', () => {
    const filler = fc.stringMatching(/^[a-z .,:\n]{0,30}$/).map((s) => s.replace(/^[a-z]+$/, ' $&'))
    fc.assert(
      fc.property(filler, fc.constantFrom(...samples), filler, (before, [name, secret], after) => {
        const left = before === '' ? '' : `${before} `
        const right = after === '' ? '' : ` ${after}`
        return redact(left + secret + right) === `${left}[redacted:${name}]${right}`
      }),
    )
  })
})

describe('createRedactor', () => {
  const secret = 'p@ss/word"with\\odd\nchars'

  it('masks registered values, raw, JSON-escaped (once, twice, with \\/) and URL-encoded', () => {
    const redactor = createRedactor({ secrets: [secret] })
    const json = JSON.stringify(secret).slice(1, -1)
    for (const form of [
      secret,
      json,
      JSON.stringify(json).slice(1, -1),
      json.replace(/\//g, '\\/'),
      encodeURIComponent(secret),
    ]) {
      expect(redactor.redact(`<${form}>`)).toBe('<[redacted]>')
    }
  })

  it('masks values registered later, and ignores values too short to mask safely', () => {
    const redactor = createRedactor()
    redactor.addSecret('abc')
    redactor.addSecret('correct-horse')
    expect(redactor.redact('abc correct-horse')).toBe('abc [redacted]')
  })

  it('masks through objects, arrays, maps, sets and errors, and keeps cycles', () => {
    const redactor = createRedactor({ secrets: ['registered-secret'] })
    const key = 'sk_' + 'test_' + chars(alnum, 24)
    const cause = new Error(`upstream said registered-secret`)
    const error = new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'call',
      target: 'stripe',
      reason: `with ${key}`,
      cause,
    })
    const input: Record<string, unknown> = {
      list: [key, 1, null, { deep: `x ${key}` }],
      map: new Map([['k', key]]),
      set: new Set([key]),
      error,
      headers: { authorization: 'anything', 'content-type': 'application/json' },
      when: new Date(0),
    }
    input['self'] = input
    const out = redactor.redactValue(input)
    const masked = '[redacted:stripe]'
    expect(out['list']).toEqual([masked, 1, null, { deep: `x ${masked}` }])
    expect(out['map']).toEqual(new Map([['k', masked]]))
    expect(out['set']).toEqual(new Set([masked]))
    expect(out['headers']).toEqual({
      authorization: '[redacted]',
      'content-type': 'application/json',
    })
    expect(out['self']).toBe(out)
    expect(out['when']).toBe(input['when'])
    const copy = out['error'] as SeamlineError
    expect(copy).toBeInstanceOf(SeamlineError)
    expect(isSeamlineError(copy)).toBe(true)
    expect(copy.message).toBe(`call stripe with ${masked}`)
    expect(copy.stack).not.toContain(key)
    expect(copy.stack).toContain(masked)
    expect((copy.cause as Error).message).toBe('upstream said [redacted]')
    expect(JSON.stringify(copy)).not.toContain(key)
    expect(copy.code).toBe('SEAM_ERR_INVALID_ARGUMENT')
    // The input is untouched.
    expect(error.message).toContain(key)
  })

  it('copies errors whose fields are getters of their prototype (DOMException, undici)', () => {
    const key = 'sk_test_DOMExceptionSecret0123456789'
    const error = new DOMException(`aborted while sending ${key}`, 'AbortError')
    const copy = redactValue(error)
    // DOMException's getters refuse any other receiver: the copy holds the values itself.
    expect(copy.name).toBe('AbortError')
    expect(copy.message).toMatch(/^aborted while sending \[redacted/)
    expect(copy.code).toBe(20)
    expect(() => JSON.stringify({ err: copy })).not.toThrow()
    expect(copy).toBeInstanceOf(DOMException)
  })

  it('can leave sensitive property names alone', () => {
    const redactor = createRedactor({ sensitiveKeys: false })
    expect(redactor.redactValue({ password: 'plain' })).toEqual({ password: 'plain' })
    expect(redactValue({ password: 'plain', n: 1 })).toEqual({ password: '[redacted]', n: 1 })
  })
})
