import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthThrottle } from './auth-throttle.js'
import { refuse } from './refusals.js'

/**
 * A token as the gateway compares it: digests have one length, so `timingSafeEqual` over them
 * takes the same time whatever the guess.
 */
export const tokenDigest = (value: string): Buffer => createHash('sha256').update(value).digest()

/** True when the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function hasAdminToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  const given = match?.[1] ?? ''
  return timingSafeEqual(tokenDigest(given), tokenDigest(token)) && given !== ''
}

/** The shortest admin token the gateway starts with: 32 characters, as `seamline token create --admin` makes. */
export const minAdminTokenLength = 32

/**
 * An `onRequest` hook that refuses, with 401, a request without the admin token; an address
 * that sent wrong ones too often is refused with 429 until it has waited.
 */
export function requireAdminToken(token: string, throttle: AuthThrottle) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const waitMs = throttle.waitMs(request.ip, 'api')
    if (waitMs > 0) {
      return refuse(reply, {
        status: 429,
        error: 'too_many_attempts',
        message: 'too many wrong admin tokens from this address: wait, then try again',
        retryAfterMs: waitMs,
      })
    }
    if (hasAdminToken(request.headers.authorization, token)) return
    throttle.failed(request.ip, 'api')
    await refuse(reply.header('www-authenticate', 'Bearer realm="seamline"'), {
      status: 401,
      error: 'unauthorized',
      message: 'send Authorization: Bearer <admin token>',
    })
  }
}
