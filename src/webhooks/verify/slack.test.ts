import { verifySlackRequest } from '@slack/bolt'
import { describe, expect, it } from 'vitest'
import { isSeamlineError, type ErrorCode } from '../../errors/index.js'
import { FakeClock } from '../../time/index.js'
import { webhookSchemes, type WebhookHeaders } from '../index.js'

const slack = webhookSchemes.slack
// The example in Slack's "Verifying requests from Slack" guide.
const secret = '8f742231b10e8888abcd99yyyzzz85a5'
const body =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
const t = 1531420618
const expected = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
const clock = new FakeClock({ now: t * 1000 })

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (error) {
    if (isSeamlineError(error)) return error.code
    throw error
  }
  throw new Error('expected a SeamlineError, but nothing was thrown')
}

const verify = (headers: WebhookHeaders, raw: string = body) =>
  slack.verify(headers, raw, { secrets: [secret], clock })

describe('slack', () => {
  it("matches the example in Slack's documentation", () => {
    const headers = slack.sign({ payload: body, secret, clock })
    expect(headers).toEqual({
      'X-Slack-Signature': expected,
      'X-Slack-Request-Timestamp': String(t),
    })
    expect(verify(headers)).toEqual({ scheme: 'slack', secretIndex: 0, timestamp: t * 1000 })
  })

  it("signs what Bolt's verifySlackRequest accepts, and nothing else", () => {
    const payload = '{"type":"event_callback","event_id":"Ev08MFMKH6","event":{"text":"héllo ☕"}}'
    const headers = slack.sign({ payload, secret, clock })
    const check =
      (raw: string, signingSecret = secret) =>
      () =>
        verifySlackRequest({
          signingSecret,
          body: raw,
          headers: {
            'x-slack-signature': headers['X-Slack-Signature'] ?? '',
            'x-slack-request-timestamp': Number(headers['X-Slack-Request-Timestamp']),
          },
          nowMilliseconds: t * 1000,
        })
    expect(check(payload)).not.toThrow()
    expect(check(`${payload} `)).toThrow()
    expect(check(payload, 'another secret')).toThrow()
  })

  it('refuses another signature version, and a timestamp that is not unix seconds', () => {
    const headers = slack.sign({ payload: body, secret, clock })
    const v1 = expected.replace(/^v0=/, 'v1=')
    expect(codeOf(() => verify({ ...headers, 'X-Slack-Signature': v1 }))).toBe(
      'SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED',
    )
    for (const bad of ['1531420618.5', '-1', `${t}000`.replace(/^/, '0')]) {
      expect(
        codeOf(() => verify({ ...headers, 'X-Slack-Request-Timestamp': bad })),
        bad,
      ).toBe('SEAM_ERR_WEBHOOK_SIGNATURE_MALFORMED')
    }
  })

  it('holds the timestamp to the tolerance in the future too, unlike Bolt', () => {
    const headers = slack.sign({ payload: body, secret, clock })
    const early = new FakeClock({ now: t * 1000 - 300_001 })
    expect(codeOf(() => slack.verify(headers, body, { secrets: [secret], clock: early }))).toBe(
      'SEAM_ERR_WEBHOOK_TIMESTAMP_OUTSIDE_TOLERANCE',
    )
  })
})
