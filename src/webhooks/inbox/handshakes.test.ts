import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { answerHandshake } from './handshakes.js'

describe('answerHandshake', () => {
  it('echoes Slack’s url_verification challenge', () => {
    expect(
      answerHandshake('slack', {}, { type: 'url_verification', challenge: 'c-1' }, 's'),
    ).toMatchObject({
      status: 200,
      body: JSON.stringify({ challenge: 'c-1' }),
    })
    expect(answerHandshake('slack', {}, { type: 'event_callback' }, 's')).toBeUndefined()
  })

  it('answers Zoom’s endpoint.url_validation with the HMAC of the plain token', () => {
    const answer = answerHandshake(
      'zoom',
      {},
      { event: 'endpoint.url_validation', payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' } },
      'secret-token',
    )
    const encryptedToken = createHmac('sha256', 'secret-token')
      .update('qgg8vlvZRS6UYooatFL8Aw')
      .digest('hex')
    expect(JSON.parse(answer?.body ?? '')).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken,
    })
  })

  it('echoes Twitch’s challenge as text, and only for a verification message', () => {
    const headers = { 'twitch-eventsub-message-type': 'webhook_callback_verification' }
    expect(answerHandshake('twitch', headers, { challenge: 'pogchamp' }, 's')).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'pogchamp',
    })
    expect(
      answerHandshake(
        'twitch',
        { 'twitch-eventsub-message-type': 'notification' },
        { challenge: 'x' },
        's',
      ),
    ).toBeUndefined()
  })

  it('answers Discord’s PING with a PONG, Xero’s intent to receive and GitHub’s ping with 200', () => {
    expect(answerHandshake('discord', {}, { type: 1 }, 'k')?.body).toBe('{"type":1}')
    expect(answerHandshake('discord', {}, { type: 2 }, 'k')).toBeUndefined()
    expect(answerHandshake('xero', {}, { events: [] }, 'k')?.status).toBe(200)
    expect(answerHandshake('xero', {}, { events: [{ resourceId: 'r' }] }, 'k')).toBeUndefined()
    expect(answerHandshake('github', { 'x-github-event': 'ping' }, {}, 'k')?.status).toBe(200)
    expect(answerHandshake('stripe', {}, { type: 'ping' }, 'k')).toBeUndefined()
  })
})
