import type { ConnectionRef } from '../stores/index.js'

/**
 * The identity a token is sealed under: its column and its row. A ciphertext copied to another
 * connection, or from one column to the other, does not open.
 */
export const tokenAad = (ref: ConnectionRef, field: 'access_token' | 'refresh_token'): string =>
  `seamline_connections:${field}:${JSON.stringify([ref.provider, ref.connectionId])}`
