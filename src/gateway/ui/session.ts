import { createHmac, timingSafeEqual } from 'node:crypto'

export const sessionCookie = 'seamline_session'

/**
 * The session cookie's value: derived from the admin token, so it needs no server-side state,
 * lives as long as the token, and never is the token itself.
 */
export const sessionValue = (token: string): string =>
  createHmac('sha256', token).update('seamline dashboard session v1').digest('base64url')

/** Whether the Cookie header carries the session; compared in constant time. */
export function hasSession(cookieHeader: string | undefined, expected: string): boolean {
  const given =
    (cookieHeader ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === sessionCookie)?.[1] ?? ''
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function sessionSetCookie(value: string, secure: boolean): string {
  return [
    `${sessionCookie}=${value}`,
    'Path=/ui',
    'HttpOnly',
    'SameSite=Strict',
    'Max-Age=43200',
    ...(secure ? ['Secure'] : []),
  ].join('; ')
}

export const sessionClearCookie = `${sessionCookie}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`
