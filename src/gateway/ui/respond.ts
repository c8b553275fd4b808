import type { FastifyReply } from 'fastify'
import { html, type Safe } from '../html.js'

const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

/** Sends a page or a fragment, under the dashboard's security headers. */
export const sendHtml = (reply: FastifyReply, markup: string | Safe) =>
  reply.headers(securityHeaders).type('text/html; charset=utf-8').send(String(markup))

/** A panel that reloads itself from `fragment` every `seconds`. */
export const live = (id: string, fragment: string, seconds: number, first: Safe): Safe =>
  html`<div id="${id}" hx-get="${fragment}" hx-trigger="every ${seconds}s" hx-swap="innerHTML">
    ${first}
  </div>`
