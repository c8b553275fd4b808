import { sign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const { github } = webhookSchemes
const secret = "It's a Secret to Everybody"
const payload = '{"action":"opened","issue":{"title":"Ünïcödé 🚀"}}'

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, body: string | Uint8Array = payload) =>
  github.verify(headers, body, { secrets: [secret] })

describe('github', () => {
  it("matches the example in GitHub's documentation", () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
    expect(github.sign({ payload: 'Hello, World!', secret })).toEqual({
      'X-Hub-Signature-256': expected,
    })
    expect(verify({ 'X-Hub-Signature-256': expected }, 'Hello, World!')).toEqual({
      scheme: 'github',
      secretIndex: 0,
    })
  })

  it('signs what @octokit/webhooks-methods verifies', async () => {
    const header = github.sign({ payload, secret })['X-Hub-Signature-256'] ?? ''
    expect(await octokitVerify(secret, payload, header)).toBe(true)
    expect(await octokitVerify('another secret', payload, header)).toBe(false)
  })

  it('verifies what @octokit/webhooks-methods signs', async () => {
    expect(verify({ 'x-hub-signature-256': await sign(secret, payload) }).scheme).toBe('github')
    const forged = await sign('another secret', payload)
    expect(codeOf(() => verify({ 'x-hub-signature-256': forged }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('rejects a header without the sha256= prefix, or the legacy SHA-1 one alone', async () => {
    const hex = (await sign(secret, payload)).slice('sha256='.length)
    for (const header of [hex, `sha1=${hex}`, `SHA256=${hex}`, ` sha256=${hex}`]) {
      expect(
        codeOf(() => verify({ 'X-Hub-Signature-256': header })),
        header,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
    expect(codeOf(() => verify({ 'X-Hub-Signature': `sha1=${hex}` }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MISSING',
    )
  })

  it('rejects a signature in another case, or cut short', async () => {
    const header = await sign(secret, payload)
    for (const changed of [
      header.toUpperCase().replace('SHA256=', 'sha256='),
      header.slice(0, -1),
    ]) {
      expect(codeOf(() => verify({ 'X-Hub-Signature-256': changed }))).toBe(
        'SEAM_ERR_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })

  it('rejects two signature headers rather than pick one', async () => {
    const good = await sign(secret, payload)
    expect(codeOf(() => verify({ 'X-Hub-Signature-256': [good, good] }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
    expect(codeOf(() => verify({ 'X-Hub-Signature-256': good, 'x-hub-signature-256': good }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
    const headers = new Headers()
    headers.append('X-Hub-Signature-256', good)
    headers.append('X-Hub-Signature-256', good)
    expect(codeOf(() => verify(headers))).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_INVALID')
  })
})
