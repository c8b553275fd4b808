import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
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

/** An `onRequest` hook that refuses, with 401, a request without the admin token. */
export function requireAdminToken(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (hasAdminToken(request.headers.authorization, token)) return
    await refuse(reply.header('www-authenticate', 'Bearer realm="seamline"'), {
      status: 401,
      error: 'unauthorized',
      message: 'send Authorization: Bearer <admin token>',
    })
  }
}
