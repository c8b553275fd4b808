import { bearerAllowed, bearerToken } from '../auth.js'
import { goDuration } from '../duration.js'
import {
  json,
  jsonBody,
  type Admission,
  type Profile,
  type ProfileContext,
  type SimRequest,
} from '../http.js'
import { TokenBucket } from '../limiters.js'
import { Router, serve } from '../router.js'

export interface OpenAiProfileOptions {
  /** Requests per minute. Default 500. */
  requestsPerMinute?: number
  /** Tokens per minute. Default 200,000. */
  tokensPerMinute?: number
}

// OpenAI counts a request's prompt (about four characters a token) plus its max_tokens.
function estimateTokens(body: Record<string, unknown> | undefined): number {
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : []
  const input = typeof body?.input === 'string' ? body.input : ''
  const characters = messages.reduce<number>((sum, m) => {
    const content = (m as { content?: unknown } | null)?.content
    return sum + (typeof content === 'string' ? content.length : 0)
  }, input.length)
  const maxTokens = typeof body?.max_tokens === 'number' ? body.max_tokens : 16
  return Math.ceil(characters / 4) + (body?.messages ? maxTokens : 0)
}

/** OpenAI: requests and tokens per minute, `x-ratelimit-*-{requests,tokens}` with Go-style resets. */
export function openAiProfile(options: OpenAiProfileOptions, context: ProfileContext): Profile {
  const { clock, random } = context
  const apiKey = `sk-proj-${random.token(40)}`
  const rpm = options.requestsPerMinute ?? 500
  const tpm = options.tokensPerMinute ?? 200_000
  const requests = new TokenBucket(rpm, rpm / 60, clock)
  const tokens = new TokenBucket(tpm, tpm / 60, clock)

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit-requests': String(rpm),
    'x-ratelimit-remaining-requests': String(requests.available),
    'x-ratelimit-reset-requests': goDuration(requests.msUntilFull),
    'x-ratelimit-limit-tokens': String(tpm),
    'x-ratelimit-remaining-tokens': String(tokens.available),
    'x-ratelimit-reset-tokens': goDuration(tokens.msUntilFull),
  })

  const limited = (kind: 'requests' | 'tokens', waitMs: number, used: number): Admission => ({
    refused: json(
      429,
      {
        error: {
          message: `Rate limit reached for default-model on ${kind} per min (RPM/TPM): Limit ${kind === 'requests' ? rpm : tpm}, Requested ${used}. Please try again in ${goDuration(waitMs)}.`,
          type: kind,
          param: null,
          code: 'rate_limit_exceeded',
        },
      },
      {
        'retry-after': String(Math.ceil(waitMs / 1_000)),
        'retry-after-ms': String(waitMs),
        'x-should-retry': 'true',
        ...rateHeaders(),
      },
    ),
  })

  const router = new Router()
    .on('POST', '/v1/chat/completions', (request) => {
      const body = jsonBody(request)
      const prompt = Math.ceil(
        estimateTokens({ ...body, messages: body?.messages ?? [], max_tokens: 0 }),
      )
      const completion = Math.min(typeof body?.max_tokens === 'number' ? body.max_tokens : 16, 8)
      return json(200, {
        id: `chatcmpl-${random.token(24)}`,
        object: 'chat.completion',
        created: Math.floor(clock.now() / 1_000),
        model: typeof body?.model === 'string' ? body.model : 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Simulated reply.' },
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
        },
      })
    })
    .on('POST', '/v1/embeddings', (request) => {
      const used = estimateTokens(jsonBody(request))
      return json(200, {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
        usage: { prompt_tokens: used, total_tokens: used },
      })
    })

  function admit(request: SimRequest): Admission {
    const key = bearerToken(request)
    if (!bearerAllowed(request, apiKey, context.oauth)) {
      return {
        refused: json(401, {
          error: {
            message: `Incorrect API key provided: ${key ? `${key.slice(0, 8)}…${key.slice(-4)}` : '(none)'}.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        }),
      }
    }
    if (requests.available < 1) return limited('requests', requests.msUntil(1), 1)
    const cost = estimateTokens(jsonBody(request))
    if (tokens.available < cost) return limited('tokens', tokens.msUntil(cost), cost)
    requests.take(1)
    tokens.take(cost)
    return { release: () => {}, headers: rateHeaders() }
  }

  return {
    name: 'openai',
    credentials: { apiKey },
    match: (method, path) => router.match(method, path),
    admit,
    handle: serve(router, json(404, { error: { message: 'Not found' } })),
  }
}
