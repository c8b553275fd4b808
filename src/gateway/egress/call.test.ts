import { describe, expect, it } from 'vitest'
import { safeUpstreamPath } from './call.js'

describe('safeUpstreamPath', () => {
  it('keeps ordinary paths and their queries as sent', () => {
    expect(safeUpstreamPath('/v1/customers')).toBe('/v1/customers')
    expect(safeUpstreamPath('/v1/customers?limit=3&email=a%40b.c')).toBe(
      '/v1/customers?limit=3&email=a%40b.c',
    )
    expect(safeUpstreamPath('/v1/files/report..2026.csv')).toBe('/v1/files/report..2026.csv')
    expect(safeUpstreamPath('')).toBe('/')
  })

  it('refuses dot segments, raw or encoded, backslashes, encoded slashes and empty segments', () => {
    for (const path of [
      '/../admin',
      '/v1/..',
      '/./v1',
      '/%2e%2e/admin',
      '/%2E%2e/admin',
      '/.%2e/admin',
      '/v1%2f..%2fx',
      '/v1\\..\\x',
      '/v1%5c..%5cx',
      '//evil.example/x',
      '/http://evil.example/',
      'http://evil.example/',
      '/v1/%00',
      '/v1/%zz',
      '/v1 /x',
    ]) {
      expect(safeUpstreamPath(path), path).toBeUndefined()
    }
  })
})
