import { describe, expect, it } from 'vitest'
import { eventsOf } from './event-identity.js'

const bytes = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value))

describe('eventsOf', () => {
  it.each([
    ['stripe', {}, { id: 'evt_1', type: 'charge.succeeded' }, 'evt_1', 'charge.succeeded'],
    ['github', { 'x-github-delivery': 'd-1', 'x-github-event': 'push' }, {}, 'd-1', 'push'],
    [
      'shopify',
      {
        'x-shopify-event-id': 'e-1',
        'x-shopify-webhook-id': 'w-1',
        'x-shopify-topic': 'orders/create',
      },
      {},
      'e-1',
      'orders/create',
    ],
    [
      'standard-webhooks',
      { 'webhook-id': 'msg_1' },
      { type: 'user.created' },
      'msg_1',
      'user.created',
    ],
    ['svix', { 'svix-id': 'msg_2' }, { type: 'email.sent' }, 'msg_2', 'email.sent'],
    ['slack', {}, { event_id: 'Ev1', event: { type: 'app_mention' } }, 'Ev1', 'app_mention'],
    ['twilio', { 'i-twilio-idempotency-token': 'tok-1' }, {}, 'tok-1', 'unknown'],
    [
      'paddle',
      {},
      { event_id: 'evt_p', event_type: 'transaction.paid' },
      'evt_p',
      'transaction.paid',
    ],
    ['square', {}, { event_id: 'sq-1', type: 'payment.updated' }, 'sq-1', 'payment.updated'],
    [
      'twitch',
      {
        'twitch-eventsub-message-id': 'tw-1',
        'twitch-eventsub-subscription-type': 'channel.follow',
      },
      {},
      'tw-1',
      'channel.follow',
    ],
    [
      'gitlab',
      { 'x-gitlab-event-uuid': 'gl-1', 'x-gitlab-event': 'Push Hook' },
      {},
      'gl-1',
      'Push Hook',
    ],
    [
      'paypal',
      {},
      { id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED' },
      'WH-1',
      'PAYMENT.CAPTURE.COMPLETED',
    ],
  ])(
    '%s: reads the id that stays the same on every delivery',
    (scheme, headers, body, id, type) => {
      expect(eventsOf(scheme, headers, bytes(body))).toEqual([{ id, type }])
    },
  )

  it('splits HubSpot and SendGrid batches into one event per item, each with its own id', () => {
    const hubspot = [
      { eventId: 101, subscriptionType: 'contact.creation' },
      { eventId: 102, subscriptionType: 'contact.deletion' },
    ]
    expect(eventsOf('hubspot', {}, bytes(hubspot))).toEqual([
      { id: '101', type: 'contact.creation', item: hubspot[0] },
      { id: '102', type: 'contact.deletion', item: hubspot[1] },
    ])
    const sendgrid = [{ sg_event_id: 'sg-1', event: 'delivered' }]
    expect(eventsOf('sendgrid', {}, bytes(sendgrid))).toEqual([
      { id: 'sg-1', type: 'delivered', item: sendgrid[0] },
    ])
  })

  it('falls back to a hash of the bytes, the same for identical deliveries', () => {
    const body = Buffer.from('From=%2B15551234567&Body=hi')
    const [first] = eventsOf('twilio', {}, body)
    const [second] = eventsOf('twilio', {}, Buffer.from(body))
    expect(first?.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(second?.id).toBe(first?.id)
    expect(eventsOf('twilio', {}, Buffer.from('Body=other'))[0]?.id).not.toBe(first?.id)
  })
})
