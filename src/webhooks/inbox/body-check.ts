import type { FlatHeaders } from './event-identity.js'

// Providers that may also send forms (GitHub's form option, Slack's commands, Twilio, Mailgun's
// older webhooks), and custom schemes: their bodies are held to JSON only when labelled so.
const mayBeForm = new Set(['github', 'slack', 'twilio', 'mailgun', 'generic-hmac'])

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Why a validly signed body is not one a provider sends, or undefined when it is. */
export interface BodyProblem {
  reason: 'body_not_utf8' | 'body_not_json' | 'duplicate_key'
  message: string
}

/** The body parsed as JSON, or its text when it is not JSON. */
export function parsePayload(body: Uint8Array): unknown {
  const text = Buffer.from(body).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Reads a verified body as its provider would have written it: UTF-8 JSON for a JSON provider
 * (or any body labelled JSON), with no key twice in one object, which parsers resolve
 * differently (the first or the last `id`), so an app and the gateway could see two events in
 * one. A body with a `Content-Encoding` is passed on as it came, unread. Gives the payload as
 * `parsePayload` would (parsed once), or why the body is refused.
 */
export function readPayload(
  scheme: string,
  headers: FlatHeaders,
  body: Uint8Array,
): { payload: unknown } | { problem: BodyProblem } {
  const encoding = headers['content-encoding']
  const encoded = encoding !== undefined && encoding.toLowerCase() !== 'identity'
  const labelledJson = /\bjson\b/i.test(headers['content-type'] ?? '')
  if (encoded || (!labelledJson && mayBeForm.has(scheme))) return { payload: parsePayload(body) }
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return { problem: { reason: 'body_not_utf8', message: 'the body is not UTF-8' } }
  }
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return { problem: { reason: 'body_not_json', message: 'the body is not JSON' } }
  }
  const twice = duplicateKey(text)
  if (twice === undefined) return { payload }
  return {
    problem: {
      reason: 'duplicate_key',
      message: `the key ${JSON.stringify(twice)} appears twice in one object`,
    },
  }
}

/**
 * The first key that appears twice in one object of `json` (already known to parse), compared
 * as decoded (`"id"` and `"\u0069d"` are one key); undefined when none does.
 */
export function duplicateKey(json: string): string | undefined {
  // One set of keys per open object; an array is a level with no keys (null).
  const open: (Set<string> | null)[] = []
  let expectKey = false
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '"') {
      let end = i + 1
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1
      const keys = open.at(-1)
      if (expectKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string
        if (keys.has(key)) return key
        keys.add(key)
      }
      expectKey = false
      i = end
    } else if (c === '{') {
      open.push(new Set())
      expectKey = true
    } else if (c === '[') {
      open.push(null)
    } else if (c === '}' || c === ']') {
      open.pop()
    } else if (c === ',') {
      expectKey = open.at(-1) instanceof Set
    }
  }
  return undefined
}
