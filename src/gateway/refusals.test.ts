import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createRedactor } from '../credentials/index.js'
import { SeamlineError } from '../errors/index.js'
import { BadRequest, refusalOf, statusOfCode } from './refusals.js'

// docs/gateway.md, under "## Errors": | 401 | `SEAM_ERR_A`, `SEAM_ERR_B` |
function documentedStatuses(): Map<string, number> {
  const text = readFileSync(new URL('../../docs/gateway.md', import.meta.url), 'utf8')
  const section = text.slice(text.indexOf('## Errors'), text.indexOf('## Reconciliations'))
  const rows = [...section.matchAll(/^\|\s*(\d{3})\s*\|(.+)\|\s*$/gm)]
  return new Map(
    rows.flatMap(([, status, codes]) =>
      [...codes!.matchAll(/`(SEAM_ERR_[A-Z0-9_]+)`/g)].map(([, code]) => [code!, Number(status)]),
    ),
  )
}

describe('refusals', () => {
  const redactor = createRedactor()

  it('give every code the status docs/gateway.md lists for it', () => {
    expect(Object.fromEntries(documentedStatuses())).toEqual(statusOfCode)
  })

  it('answer an OAuth connection that cannot give a token 401, wherever it arises', () => {
    for (const code of [
      'SEAM_ERR_OAUTH_CONNECTION_NOT_FOUND',
      'SEAM_ERR_OAUTH_REAUTH_REQUIRED',
    ] as const) {
      const error = new SeamlineError(code, {
        operation: 'token',
        target: 'xero/acme',
        reason: 'no',
      })
      expect(refusalOf(error, redactor)).toMatchObject({ status: 401, error: code })
    }
  })

  it('carry a wait, redact the message, list the problems, and leave unknown errors alone', () => {
    redactor.addSecret('sk_test_refusalsecret0123456789')
    const limited = Object.assign(
      new SeamlineError('SEAM_ERR_RATE_LIMITED', {
        operation: 'GET',
        target: 'https://api.stripe.com/v1/customers',
        reason: 'waited too long with sk_test_refusalsecret0123456789',
      }),
      { retryAfterMs: 1_500 },
    )
    const refusal = refusalOf(limited, redactor)
    expect(refusal).toMatchObject({ status: 429, retryAfterMs: 1_500 })
    expect(refusal?.message).not.toContain('sk_test_refusalsecret')
    expect(refusalOf(new BadRequest(['limit: too small']), redactor)).toEqual({
      status: 400,
      error: 'bad_request',
      problems: ['limit: too small'],
    })
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 })
    expect(refusalOf(tooLarge, redactor)).toMatchObject({ status: 413, error: 'payload_too_large' })
    expect(refusalOf(new Error('boom'), redactor)).toBeUndefined()
  })
})
