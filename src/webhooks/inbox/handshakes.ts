import { createHmac } from 'node:crypto'
import type { FlatHeaders } from './event-identity.js'

export interface HandshakeAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

const jsonAnswer = (body: unknown): HandshakeAnswer => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

type Handshake = (
  headers: FlatHeaders,
  json: Record<string, unknown> | undefined,
  secret: string,
) => HandshakeAnswer | undefined

/**
 * The requests a provider sends to check an endpoint before (or besides) real events. Each is
 * answered only after its signature verified, and none is stored or handed to a handler.
 */
const handshakes: Readonly<Record<string, Handshake>> = {
  // Slack's Events API checks a new request URL by asking it to echo a challenge.
  slack: (_h, json) =>
    json?.type === 'url_verification' && typeof json.challenge === 'string'
      ? jsonAnswer({ challenge: json.challenge })
      : undefined,
  // Zoom proves the endpoint holds the secret token: answer HMAC-SHA256(secret, plainToken).
  zoom: (_h, json, secret) => {
    const token = (json?.payload as { plainToken?: unknown } | undefined)?.plainToken
    if (json?.event !== 'endpoint.url_validation' || typeof token !== 'string') return undefined
    const encryptedToken = createHmac('sha256', secret).update(token).digest('hex')
    return jsonAnswer({ plainToken: token, encryptedToken })
  },
  // Twitch EventSub: echo the challenge as plain text.
  twitch: (h, json) =>
    h['twitch-eventsub-message-type'] === 'webhook_callback_verification' &&
    typeof json?.challenge === 'string'
      ? { status: 200, headers: { 'content-type': 'text/plain' }, body: json.challenge }
      : undefined,
  // Discord PING (type 1) wants a PONG (type 1).
  discord: (_h, json) => (json?.type === 1 ? jsonAnswer({ type: 1 }) : undefined),
  // Xero's intent-to-receive sends a signed delivery with no events: a 200 proves the endpoint.
  xero: (_h, json) =>
    Array.isArray(json?.events) && json.events.length === 0 ? jsonAnswer({}) : undefined,
  // GitHub's ping says hello when a hook is created; there is nothing to process.
  github: (h) => (h['x-github-event'] === 'ping' ? jsonAnswer({ pong: true }) : undefined),
}

/** The answer to a handshake, or undefined when the delivery is an ordinary event. */
export function answerHandshake(
  scheme: string,
  headers: FlatHeaders,
  json: Record<string, unknown> | undefined,
  secret: string,
): HandshakeAnswer | undefined {
  return Object.hasOwn(handshakes, scheme) ? handshakes[scheme]?.(headers, json, secret) : undefined
}
