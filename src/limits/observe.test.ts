import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { goDuration } from '../simulator/duration.js'
import { MAX_RESET_MS, MAX_WINDOW_MS } from './header-values.js'
import {
  parseRateLimitBody,
  parseRateLimitHeaders,
  type ObservedWindow,
  type ParseOptions,
  type RateLimitObservation,
  type ResponseHeaders,
} from './index.js'

const now = Date.UTC(2026, 0, 1, 12)
const date = new Date(now).toUTCString() // Thu, 01 Jan 2026 12:00:00 GMT
/** The epoch second `ms` from now. */
const epochS = (ms: number): string => String((now + ms) / 1_000)

interface Case {
  form: string
  headers: ResponseHeaders
  options?: ParseOptions
  expected: RateLimitObservation
}

const cases: Case[] = [
  // IETF draft-11 (and -08 to -10): Structured Field lists named after policies.
  {
    form: 'draft-11 policy and limit, two policies',
    headers: {
      'RateLimit-Policy': '"burst";q=100;w=60,"daily";q=1000;w=86400',
      RateLimit: '"burst";r=50;t=30',
    },
    expected: {
      windows: [
        { name: 'burst', limit: 100, windowMs: 60_000, remaining: 50, resetMs: 30_000 },
        { name: 'daily', limit: 1_000, windowMs: 86_400_000 },
      ],
    },
  },
  {
    form: 'draft-11 unit and partition key',
    headers: {
      'ratelimit-policy': '"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:',
      ratelimit: '"peruser";r=300;t=5;pk=:sdfjLJUOUH==:',
    },
    expected: {
      windows: [
        {
          name: 'peruser',
          limit: 65_535,
          windowMs: 10_000,
          unit: 'content-bytes',
          remaining: 300,
          resetMs: 5_000,
        },
      ],
    },
  },
  {
    form: 'draft-11 concurrency policy; the default unit is not reported',
    headers: {
      'RateLimit-Policy': '"inflight";q=5;qu="concurrent-requests", "rps";q=10;qu="requests";w=1',
    },
    expected: {
      windows: [
        { name: 'inflight', limit: 5, unit: 'concurrent-requests' },
        { name: 'rps', limit: 10, windowMs: 1_000 },
      ],
    },
  },
  {
    form: 'draft-11 RateLimit alone, with vendor parameters as comments',
    headers: { RateLimit: '"default";r=0;t=50;acme-burst=10' },
    expected: { windows: [{ name: 'default', remaining: 0, resetMs: 50_000 }] },
  },
  {
    form: 'draft-11 list split over two fields (an array)',
    headers: { 'RateLimit-Policy': ['"permin";q=50;w=60', '"perhr";q=1000;w=3600'] },
    expected: {
      windows: [
        { name: 'permin', limit: 50, windowMs: 60_000 },
        { name: 'perhr', limit: 1_000, windowMs: 3_600_000 },
      ],
    },
  },
  {
    form: 'draft-11 on a 429: Retry-After takes precedence, the windows stay informative',
    headers: {
      'Retry-After': '20',
      'RateLimit-Policy': '"dynamic";q=100;w=60',
      RateLimit: '"dynamic";r=15;t=40',
    },
    expected: {
      retryAfterMs: 20_000,
      windows: [{ name: 'dynamic', limit: 100, windowMs: 60_000, remaining: 15, resetMs: 40_000 }],
    },
  },
  {
    form: 'draft-11 repeated policy name keeps the first',
    headers: { RateLimit: '"a";r=1, "a";r=2' },
    expected: { windows: [{ name: 'a', remaining: 1 }] },
  },
  {
    form: 'draft-11 malformed policy field is ignored, the RateLimit field still read',
    headers: { 'RateLimit-Policy': '"a";w=60', RateLimit: '"a";r=5' },
    expected: { windows: [{ name: 'a', remaining: 5 }] },
  },
  {
    form: 'draft-11 effective window beyond the cap drops only the reset',
    headers: { RateLimit: '"monthly";r=10;t=2592000' },
    expected: { windows: [{ name: 'monthly', remaining: 10 }] },
  },
  // draft-07: a Dictionary.
  {
    form: 'draft-07 dictionary with its policy',
    headers: { RateLimit: 'limit=100, remaining=50, reset=5', 'RateLimit-Policy': '100;w=10' },
    expected: {
      windows: [{ name: 'default', limit: 100, remaining: 50, resetMs: 5_000, windowMs: 10_000 }],
    },
  },
  {
    form: 'draft-07 picks the policy whose quota is the limit',
    headers: {
      RateLimit: 'limit=50, reset=44',
      'RateLimit-Policy': '10;w=1, 50;w=60, 1000;w=3600',
    },
    expected: { windows: [{ name: 'default', limit: 50, resetMs: 44_000, windowMs: 60_000 }] },
  },
  // Drafts up to -06: three fields.
  {
    form: 'draft-06 three fields',
    headers: { 'RateLimit-Limit': '100', 'RateLimit-Remaining': '50', 'RateLimit-Reset': '5' },
    expected: { windows: [{ name: 'default', limit: 100, remaining: 50, resetMs: 5_000 }] },
  },
  {
    form: 'draft-03 policy inside RateLimit-Limit',
    headers: {
      'RateLimit-Limit': '100, 100;w=60',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '59',
    },
    expected: {
      windows: [{ name: 'default', limit: 100, remaining: 0, resetMs: 59_000, windowMs: 60_000 }],
    },
  },
  {
    form: 'draft-06 with RateLimit-Policy',
    headers: { 'RateLimit-Limit': '10', 'RateLimit-Policy': '10;w=1, 1000;w=3600' },
    expected: { windows: [{ name: 'default', limit: 10, windowMs: 1_000 }] },
  },
  // X-RateLimit-*: GitHub first.
  {
    form: 'GitHub core: epoch-seconds reset measured from the Date header',
    headers: {
      date,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': epochS(3_600_000),
      'x-ratelimit-resource': 'core',
    },
    options: {},
    expected: {
      windows: [
        { name: 'core', limit: 5_000, remaining: 4_999, resetMs: 3_600_000, windowMs: 3_600_000 },
      ],
    },
  },
  {
    form: 'GitHub secondary limit: retry-after, search resource, remaining from used',
    headers: {
      'retry-after': '60',
      'x-ratelimit-limit': '30',
      'x-ratelimit-used': '30',
      'x-ratelimit-reset': epochS(42_000),
      'x-ratelimit-resource': 'search',
    },
    expected: {
      retryAfterMs: 60_000,
      windows: [{ name: 'search', limit: 30, remaining: 0, resetMs: 42_000 }],
    },
  },
  {
    form: 'X-RateLimit reset as delta-seconds',
    headers: {
      date,
      'X-RateLimit-Limit': '60',
      'X-RateLimit-Remaining': '59',
      'X-RateLimit-Reset': '30',
    },
    options: {},
    expected: { windows: [{ name: 'default', limit: 60, remaining: 59, resetMs: 30_000 }] },
  },
  {
    form: 'X-RateLimit reset as epoch milliseconds',
    headers: { date, 'X-RateLimit-Reset': String(now + 30_250) },
    options: {},
    expected: { windows: [{ name: 'default', resetMs: 30_250 }] },
  },
  {
    form: 'X-RateLimit reset as an HTTP-date',
    headers: { date, 'X-RateLimit-Reset': 'Thu, 01 Jan 2026 12:00:30 GMT' },
    options: {},
    expected: { windows: [{ name: 'default', resetMs: 30_000 }] },
  },
  {
    form: 'X-RateLimit reset as RFC 3339',
    headers: { date, 'X-RateLimit-Reset': '2026-01-01T13:00:30.5+01:00' },
    options: {},
    expected: { windows: [{ name: 'default', resetMs: 30_500 }] },
  },
  {
    form: 'X-RateLimit reset as fractional epoch seconds (Discord), Reset-After preferred',
    headers: {
      date,
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '4',
      'X-RateLimit-Reset': '1767268830.123',
      'X-RateLimit-Reset-After': '1.234',
    },
    options: {},
    expected: { windows: [{ name: 'default', limit: 5, remaining: 4, resetMs: 1_234 }] },
  },
  {
    form: 'X-RateLimit fractional epoch seconds alone',
    headers: { date, 'X-RateLimit-Reset': '1767268830.123' },
    options: {},
    expected: { windows: [{ name: 'default', resetMs: 30_123 }] },
  },
  {
    form: 'epoch reset measured from the Date header, not a skewed client clock',
    headers: { date, 'X-RateLimit-Reset': epochS(30_000) },
    options: { now: now + 2_000 },
    expected: { windows: [{ name: 'default', resetMs: 30_000 }] },
  },
  {
    form: 'epoch reset without a Date header: measured from now',
    headers: { 'X-RateLimit-Reset': epochS(30_000) },
    options: { now: now + 2_000 },
    expected: { windows: [{ name: 'default', resetMs: 28_000 }] },
  },
  {
    form: 'a Date header days away from now is not believed',
    headers: { date: 'Sat, 01 Jan 2000 00:00:00 GMT', 'X-RateLimit-Reset': epochS(30_000) },
    expected: { windows: [{ name: 'default', resetMs: 30_000 }] },
  },
  {
    form: 'an epoch reset just past means reset already',
    headers: { 'X-RateLimit-Reset': epochS(-10_000) },
    expected: { windows: [{ name: 'default', resetMs: 0 }] },
  },
  {
    form: 'X-Rate-Limit-* spelling (Twitter/X)',
    headers: {
      'x-rate-limit-limit': '900',
      'x-rate-limit-remaining': '899',
      'x-rate-limit-reset': epochS(900_000),
    },
    expected: { windows: [{ name: 'default', limit: 900, remaining: 899, resetMs: 900_000 }] },
  },
  {
    form: 'X-RateLimit-Retry-After when Retry-After is missing (ky fallback)',
    headers: { 'X-RateLimit-Retry-After': '60', 'X-RateLimit-Remaining': '0' },
    expected: { retryAfterMs: 60_000, windows: [{ name: 'default', remaining: 0 }] },
  },
  {
    form: 'X-RateLimit-Retry-After as an epoch',
    headers: { 'X-RateLimit-Retry-After': epochS(15_000) },
    expected: { retryAfterMs: 15_000 },
  },
  {
    form: 'Retry-After beats X-RateLimit-Retry-After',
    headers: { 'Retry-After': '5', 'X-RateLimit-Retry-After': '60' },
    expected: { retryAfterMs: 5_000 },
  },
  {
    form: 'an unusable X-RateLimit-Resource falls back to default',
    headers: { 'X-RateLimit-Limit': '10', 'X-RateLimit-Resource': '../core' },
    expected: { windows: [{ name: 'default', limit: 10 }] },
  },
  // OpenAI and the per-window family.
  {
    form: 'OpenAI requests and tokens with Go-duration resets',
    headers: {
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199000',
      'x-ratelimit-reset-tokens': '6m0s',
      'retry-after-ms': '1500',
    },
    expected: {
      retryAfterMs: 1_500,
      windows: [
        { name: 'requests', limit: 500, remaining: 499, resetMs: 120 },
        { name: 'tokens', limit: 200_000, remaining: 199_000, resetMs: 360_000, unit: 'tokens' },
      ],
    },
  },
  {
    form: 'Azure OpenAI -1 values are ignored',
    headers: {
      'x-ratelimit-limit-tokens': '-1',
      'x-ratelimit-remaining-tokens': '-1',
      'x-ratelimit-remaining-requests': '99',
    },
    expected: { windows: [{ name: 'requests', remaining: 99 }] },
  },
  {
    form: 'Cerebras per-day and per-minute windows with decimal-seconds resets',
    headers: {
      'x-ratelimit-limit-requests-day': '14400',
      'x-ratelimit-remaining-requests-day': '14399',
      'x-ratelimit-reset-requests-day': '33011.382867097855',
      'x-ratelimit-limit-tokens-minute': '60000',
      'x-ratelimit-remaining-tokens-minute': '59000',
      'x-ratelimit-reset-tokens-minute': '11.382867097854614',
    },
    expected: {
      windows: [
        {
          name: 'requests-day',
          limit: 14_400,
          remaining: 14_399,
          resetMs: 33_011_383,
          windowMs: 86_400_000,
        },
        {
          name: 'tokens-minute',
          limit: 60_000,
          remaining: 59_000,
          resetMs: 11_383,
          windowMs: 60_000,
          unit: 'tokens',
        },
      ],
    },
  },
  {
    form: 'Kong per-period windows',
    headers: {
      'X-RateLimit-Limit-Minute': '5',
      'X-RateLimit-Remaining-Minute': '4',
      'X-RateLimit-Limit-Month': '10000',
      'X-RateLimit-Remaining-Month': '9000',
    },
    expected: {
      windows: [
        { name: 'minute', limit: 5, remaining: 4, windowMs: 60_000 },
        { name: 'month', limit: 10_000, remaining: 9_000 },
      ],
    },
  },
  // Shopify, Xero, HubSpot.
  {
    form: 'Shopify REST call limit',
    headers: { 'X-Shopify-Shop-Api-Call-Limit': '32/40' },
    expected: { windows: [{ name: 'calls', limit: 40, remaining: 8 }] },
  },
  {
    form: 'Xero remaining in each window',
    headers: {
      'X-DayLimit-Remaining': '4999',
      'X-MinLimit-Remaining': '59',
      'X-AppMinLimit-Remaining': '9999',
    },
    expected: {
      windows: [
        { name: 'day', remaining: 4_999, windowMs: 86_400_000 },
        { name: 'minute', remaining: 59, windowMs: 60_000 },
        { name: 'app-minute', remaining: 9_999, windowMs: 60_000 },
      ],
    },
  },
  ...(
    [
      ['minute', 'minute'],
      ['Minute limit', 'minute'],
      ['MinLimit', 'minute'],
      ['day', 'day'],
      ['DayLimit', 'day'],
      ['daily', 'day'],
      ['AppMinLimit', 'app-minute'],
      ['appminute', 'app-minute'],
    ] as const
  ).map(([problem, exhausted]): Case => ({
    form: `Xero 429 with X-Rate-Limit-Problem: ${problem}`,
    headers: {
      'retry-after': '50',
      'x-rate-limit-problem': problem,
      'x-daylimit-remaining': '4000',
      'x-minlimit-remaining': '1',
    },
    expected: {
      retryAfterMs: 50_000,
      windows: [
        { name: 'day', remaining: exhausted === 'day' ? 0 : 4_000, windowMs: 86_400_000 },
        { name: 'minute', remaining: exhausted === 'minute' ? 0 : 1, windowMs: 60_000 },
        ...(exhausted === 'app-minute'
          ? [{ name: 'app-minute', remaining: 0, windowMs: 60_000 }]
          : []),
      ],
    },
  })),
  {
    form: 'Xero 429 for concurrency names no window',
    headers: {
      'retry-after': '1',
      'x-rate-limit-problem': 'concurrent',
      'x-minlimit-remaining': '3',
    },
    expected: {
      retryAfterMs: 1_000,
      windows: [{ name: 'minute', remaining: 3, windowMs: 60_000 }],
    },
  },
  {
    form: 'HubSpot interval, daily and secondly',
    headers: {
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': '100',
      'X-HubSpot-RateLimit-Remaining': '99',
      'X-HubSpot-RateLimit-Daily': '250000',
      'X-HubSpot-RateLimit-Daily-Remaining': '249900',
      'X-HubSpot-RateLimit-Secondly': '10',
      'X-HubSpot-RateLimit-Secondly-Remaining': '9',
    },
    expected: {
      windows: [
        { name: 'interval', limit: 100, remaining: 99, windowMs: 10_000 },
        { name: 'daily', limit: 250_000, remaining: 249_900, windowMs: 86_400_000 },
        { name: 'secondly', limit: 10, remaining: 9, windowMs: 1_000 },
      ],
    },
  },
  // Precedence, merging and plumbing.
  {
    form: 'the same window in two dialects: the standard one wins',
    headers: {
      RateLimit: '"default";r=7;t=3',
      'RateLimit-Limit': '100',
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '50',
    },
    expected: { windows: [{ name: 'default', remaining: 7, resetMs: 3_000 }] },
  },
  {
    form: 'a response from a cache (positive Age) reports no windows',
    headers: { Age: '30', 'Retry-After': '1', 'X-RateLimit-Remaining': '0' },
    expected: { retryAfterMs: 1_000 },
  },
  {
    form: 'a Headers object',
    headers: new Headers({ 'X-RateLimit-Limit': '10', 'x-ratelimit-remaining': '9' }),
    expected: { windows: [{ name: 'default', limit: 10, remaining: 9 }] },
  },
  {
    form: 'a repeated numeric header with one value, and names in any case',
    headers: { 'X-RATELIMIT-LIMIT': ['10', '10'], 'x-RateLimit-Remaining': '9, 9' },
    expected: { windows: [{ name: 'default', limit: 10, remaining: 9 }] },
  },
  { form: 'no rate-limit headers', headers: { 'content-type': 'application/json' }, expected: {} },
]

// Each is ignored whole: the response then reports nothing.
const malformed: [string, ResponseHeaders][] = [
  ['draft-11 trailing comma', { RateLimit: '"default";r=50;t=30,' }],
  ['draft-11 token instead of a string', { RateLimit: 'default;r=50' }],
  ['draft-11 without r', { RateLimit: '"default";t=30' }],
  ['draft-11 decimal r', { RateLimit: '"default";r=5.5' }],
  ['draft-11 negative r', { RateLimit: '"default";r=-1' }],
  ['draft-11 t as a string', { RateLimit: '"default";r=1;t="30"' }],
  ['draft-11 zero window', { 'RateLimit-Policy': '"x";q=10;w=0' }],
  ['draft-11 unit as a token', { 'RateLimit-Policy': '"x";q=10;qu=requests' }],
  ['draft-11 partition key not bytes', { 'RateLimit-Policy': '"x";q=10;pk="abc"' }],
  ['draft-11 one bad item spoils the field', { 'RateLimit-Policy': '"a";q=1, "b";w=60' }],
  ['draft-11 non-ASCII', { RateLimit: '"défaut";r=1' }],
  ['draft-07 without reset', { RateLimit: 'limit=100, remaining=50' }],
  ['draft-07 with a string', { RateLimit: 'limit=100, reset="5"' }],
  ['draft-07 with a bad remaining', { RateLimit: 'limit=100, remaining=-1, reset=5' }],
  ['draft-06 reset as a fraction', { 'RateLimit-Reset': '1.5' }],
  ['draft-06 reset as a date', { 'RateLimit-Reset': 'Thu, 01 Jan 2026 12:00:30 GMT' }],
  ['draft-06 limit not a number', { 'RateLimit-Limit': 'lots' }],
  ['X-RateLimit negative reset', { 'X-RateLimit-Reset': '-5' }],
  ['X-RateLimit exponent', { 'X-RateLimit-Reset': '1e3' }],
  ['X-RateLimit delta beyond three days', { 'X-RateLimit-Reset': '1000000' }],
  ['X-RateLimit epoch ten days ahead', { 'X-RateLimit-Reset': epochS(10 * 86_400_000) }],
  ['X-RateLimit epoch a week ago', { 'X-RateLimit-Reset': epochS(-7 * 86_400_000) }],
  [
    'X-RateLimit JavaScript date string',
    { 'X-RateLimit-Reset': 'Tue Feb 16 2021 09:02:42 GMT+0100' },
  ],
  ['X-RateLimit fractional limit', { 'X-RateLimit-Limit': '5000.5' }],
  ['X-RateLimit negative limit', { 'X-RateLimit-Limit': '-1' }],
  ['X-RateLimit unsafe integer', { 'X-RateLimit-Limit': '99999999999999999' }],
  ['X-RateLimit two different values', { 'X-RateLimit-Remaining': '9, 8' }],
  ['X-RateLimit used without a limit', { 'X-RateLimit-Used': '11' }],
  ['X-RateLimit-Retry-After as words', { 'X-RateLimit-Retry-After': 'soon' }],
  ['OpenAI reset with a space', { 'x-ratelimit-reset-requests': '1 s' }],
  ['OpenAI negative duration', { 'x-ratelimit-reset-tokens': '-6m0s' }],
  ['unknown per-window suffix', { 'x-ratelimit-limit-bananas': '5' }],
  ['Shopify above its bucket', { 'X-Shopify-Shop-Api-Call-Limit': '41/40' }],
  ['Shopify empty bucket', { 'X-Shopify-Shop-Api-Call-Limit': '0/0' }],
  ['Shopify not a fraction', { 'X-Shopify-Shop-Api-Call-Limit': '32' }],
  ['Xero negative remaining', { 'X-MinLimit-Remaining': '-1' }],
  ['HubSpot interval alone', { 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000' }],
  ['HubSpot words', { 'X-HubSpot-RateLimit-Max': 'hundred' }],
]

describe('parseRateLimitHeaders: every dialect', () => {
  it.each(cases)('$form', ({ headers, options, expected }) => {
    expect(parseRateLimitHeaders(headers, options ?? { now })).toEqual(expected)
  })

  it.each(malformed)('ignores %s', (_form, headers) => {
    expect(parseRateLimitHeaders(headers, { now })).toEqual({})
  })

  it('drops an unusable HubSpot interval length but keeps its counts', () => {
    expect(
      parseRateLimitHeaders(
        {
          'X-HubSpot-RateLimit-Interval-Milliseconds': '0',
          'X-HubSpot-RateLimit-Max': '100',
        },
        { now },
      ),
    ).toEqual({ windows: [{ name: 'interval', limit: 100 }] })
  })

  it('never throws on headers that cannot even be read', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no')
        },
      },
    )
    expect(parseRateLimitHeaders(hostile, { now })).toEqual({})
  })
})

describe('parseRateLimitBody: Shopify GraphQL cost', () => {
  it('reads the bucket, the time to refill it and what the query cost', () => {
    const body = {
      data: { products: { edges: [] } },
      extensions: {
        cost: {
          requestedQueryCost: 101,
          actualQueryCost: 46,
          throttleStatus: {
            maximumAvailable: 2000.0,
            currentlyAvailable: 1954,
            restoreRate: 100.0,
          },
        },
      },
    }
    expect(parseRateLimitBody(body)).toEqual([
      {
        name: 'cost',
        unit: 'points',
        limit: 2_000,
        remaining: 1_954,
        resetMs: 460,
        cost: { requested: 101, actual: 46 },
      },
    ])
  })

  it('reads a throttled response, whose actual cost is null', () => {
    const body = {
      errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
      extensions: {
        cost: {
          requestedQueryCost: 202,
          actualQueryCost: null,
          throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 118.5, restoreRate: 50 },
        },
      },
    }
    expect(parseRateLimitBody(body)).toEqual([
      {
        name: 'cost',
        unit: 'points',
        limit: 1_000,
        remaining: 118,
        resetMs: 17_630,
        cost: { requested: 202 },
      },
    ])
  })

  const throwing = {
    get extensions(): unknown {
      throw new Error('no')
    },
  }
  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a string', '{"extensions":{}}'],
    ['an array', [1, 2]],
    ['no extensions', { data: {} }],
    ['cost not an object', { extensions: { cost: 'x' } }],
    [
      'throttleStatus of strings',
      { extensions: { cost: { throttleStatus: { maximumAvailable: '1000' } } } },
    ],
    [
      'negative and infinite values',
      {
        extensions: {
          cost: { throttleStatus: { maximumAvailable: -1, currentlyAvailable: Infinity } },
        },
      },
    ],
    ['a getter that throws', throwing],
    [
      'inherited properties only',
      Object.create({
        extensions: { cost: { throttleStatus: { maximumAvailable: 10 } } },
      }) as unknown,
    ],
  ])('reports nothing for %s', (_form, body) => {
    expect(parseRateLimitBody(body)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Properties.

const knownNames = [
  'retry-after',
  'retry-after-ms',
  'date',
  'age',
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-used',
  'x-ratelimit-reset',
  'x-ratelimit-reset-after',
  'x-ratelimit-retry-after',
  'x-ratelimit-resource',
  'x-rate-limit-limit',
  'x-rate-limit-remaining',
  'x-rate-limit-reset',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'x-ratelimit-reset-tokens-minute',
  'x-ratelimit-limit-minute',
  'x-shopify-shop-api-call-limit',
  'x-daylimit-remaining',
  'x-minlimit-remaining',
  'x-appminlimit-remaining',
  'x-rate-limit-problem',
  'x-hubspot-ratelimit-max',
  'x-hubspot-ratelimit-remaining',
  'x-hubspot-ratelimit-interval-milliseconds',
  'x-hubspot-ratelimit-daily',
  'x-hubspot-ratelimit-daily-remaining',
  'x-hubspot-ratelimit-secondly',
  'x-hubspot-ratelimit-secondly-remaining',
]

const headerName = fc.oneof(
  fc.constantFrom(...knownNames),
  fc.constantFrom(...knownNames).map((n) => n.toUpperCase()),
  fc.string(),
)
const number = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double().map(String),
  fc
    .integer({ min: -86_400 * 20, max: 86_400 * 20 })
    .map((s) => String(Math.round(now / 1_000) + s)),
  fc.integer({ min: -86_400_000 * 20, max: 86_400_000 * 20 }).map((ms) => String(now + ms)),
)
const sfPiece = fc.constantFrom(
  '"a"',
  'b',
  ';q=',
  ';r=',
  ';t=',
  ';w=',
  ';qu=',
  ';pk=:YQ==:',
  ', ',
  '=',
  '1',
  '-1',
  '0.5',
  '(',
  ')',
  '?1',
  '@1',
  ' ',
  'limit=',
  'reset=',
  '/',
)
const headerValue = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  number,
  fc.array(sfPiece, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.tuple(number, number).map(([a, b]) => `${a}/${b}`),
  fc
    .tuple(fc.nat(), fc.constantFrom('ns', 'us', 'µs', 'ms', 's', 'm', 'h', ''))
    .map(([n, u]) => `${n}${u}`),
  fc
    .date({ noInvalidDate: false })
    .map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toUTCString())),
)
const headerMap = fc.dictionary(
  headerName,
  fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
  { maxKeys: 12 },
)

function wellFormed(observation: RateLimitObservation): boolean {
  const ok = (n: number | undefined): boolean =>
    n === undefined || (Number.isSafeInteger(n) && n >= 0)
  if (!ok(observation.retryAfterMs)) return false
  return (observation.windows ?? []).every(
    (w) =>
      typeof w.name === 'string' &&
      w.name.length > 0 &&
      ok(w.limit) &&
      ok(w.remaining) &&
      ok(w.resetMs) &&
      (w.resetMs === undefined || w.resetMs <= MAX_RESET_MS) &&
      ok(w.windowMs) &&
      (w.windowMs === undefined || (w.windowMs > 0 && w.windowMs <= MAX_WINDOW_MS)) &&
      ok(w.cost?.requested) &&
      ok(w.cost?.actual),
  )
}

describe('parseRateLimitHeaders: properties', () => {
  it('never throws, and never yields a negative, fractional, NaN or infinite number', () => {
    fc.assert(
      fc.property(
        headerMap,
        fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 })),
        (headers, at) => {
          const observation = parseRateLimitHeaders(headers, at === null ? {} : { now: at })
          expect(wellFormed(observation)).toBe(true)
          if (observation.windows) expect(observation.windows.length).toBeGreaterThan(0)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('never throws on any body, and yields only well-formed windows', () => {
    const status = fc.record(
      {
        maximumAvailable: fc.anything(),
        currentlyAvailable: fc.anything(),
        restoreRate: fc.anything(),
      },
      { requiredKeys: [] },
    )
    const body = fc.oneof(
      fc.anything(),
      fc.record({
        extensions: fc.record({
          cost: fc.record(
            {
              requestedQueryCost: fc.oneof(fc.double(), fc.anything()),
              actualQueryCost: fc.oneof(fc.double(), fc.constant(null)),
              throttleStatus: fc.oneof(
                status,
                fc.record({
                  maximumAvailable: fc.double(),
                  currentlyAvailable: fc.double(),
                  restoreRate: fc.double(),
                }),
              ),
            },
            { requiredKeys: [] },
          ),
        }),
      }),
    )
    fc.assert(
      fc.property(body, (value) => {
        expect(wellFormed({ windows: parseRateLimitBody(value) })).toBe(true)
      }),
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Round trips: an observation, written as each form's headers, reads back the same.

const nowS = Math.round(now / 1_000) * 1_000
const count = fc.integer({ min: 0, max: 1_000_000_000 })
const seconds = (max: number) => fc.integer({ min: 0, max }).map((s) => s * 1_000)
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
/** Drops undefined fields, as the parser never writes them. */
const clean = (w: Record<string, unknown>): ObservedWindow =>
  Object.fromEntries(
    Object.entries(w).filter(([, v]) => v !== undefined),
  ) as unknown as ObservedWindow
const parsed = (headers: ResponseHeaders, options: ParseOptions = { now: nowS }) =>
  parseRateLimitHeaders(headers, options).windows ?? []

// A policy name: any printable ASCII, quotes and backslashes escaped when written.
const policyName = fc.string({
  unit: fc.constantFrom(...'ab-Z_ 9."\\'),
  minLength: 1,
  maxLength: 8,
})
const sfString = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`

describe('round trips', () => {
  it('draft-11 RateLimit-Policy and RateLimit', () => {
    const policy = fc.record({
      name: policyName,
      limit: count,
      windowMs: maybe(seconds(MAX_WINDOW_MS / 1_000).filter((ms) => ms > 0)),
      unit: maybe(fc.constantFrom('content-bytes', 'concurrent-requests', 'tokens')),
      remaining: maybe(count),
      resetMs: maybe(seconds(MAX_RESET_MS / 1_000)),
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(policy, { selector: (p) => p.name, minLength: 1, maxLength: 4 }),
        (policies) => {
          const headers = {
            'RateLimit-Policy': policies
              .map(
                (p) =>
                  `${sfString(p.name)};q=${p.limit}${p.windowMs === undefined ? '' : `;w=${p.windowMs / 1_000}`}${p.unit === undefined ? '' : `;qu=${sfString(p.unit)}`}`,
              )
              .join(', '),
            RateLimit: policies
              .filter((p) => p.remaining !== undefined)
              .map(
                (p) =>
                  `${sfString(p.name)};r=${p.remaining}${p.resetMs === undefined ? '' : `;t=${p.resetMs / 1_000}`}`,
              )
              .join(','),
          }
          expect(parsed(headers)).toEqual(
            policies.map((p) =>
              clean({ ...p, resetMs: p.remaining === undefined ? undefined : p.resetMs }),
            ),
          )
        },
      ),
    )
  })

  it('draft-07 RateLimit dictionary with RateLimit-Policy', () => {
    fc.assert(
      fc.property(
        count,
        maybe(count),
        seconds(MAX_RESET_MS / 1_000),
        maybe(seconds(86_400).filter((ms) => ms > 0)),
        (limit, remaining, resetMs, windowMs) => {
          const headers = {
            RateLimit: `limit=${limit}${remaining === undefined ? '' : `, remaining=${remaining}`}, reset=${resetMs / 1_000}`,
            ...(windowMs === undefined
              ? {}
              : { 'RateLimit-Policy': `${limit};w=${windowMs / 1_000}` }),
          }
          expect(parsed(headers)).toEqual([
            clean({ name: 'default', limit, remaining, resetMs, windowMs }),
          ])
        },
      ),
    )
  })

  it('draft-06 RateLimit-Limit, -Remaining, -Reset', () => {
    const fields = fc
      .record({
        limit: maybe(count),
        remaining: maybe(count),
        resetMs: maybe(seconds(MAX_RESET_MS / 1_000)),
      })
      .filter((w) => w.limit !== undefined || w.remaining !== undefined || w.resetMs !== undefined)
    fc.assert(
      fc.property(
        fields,
        maybe(seconds(86_400).filter((ms) => ms > 0)),
        fc.boolean(),
        (w, windowMs, inline) => {
          const policy =
            w.limit !== undefined && windowMs !== undefined
              ? `${w.limit};w=${windowMs / 1_000}`
              : undefined
          const headers = {
            ...(w.limit === undefined
              ? {}
              : {
                  'RateLimit-Limit': inline && policy ? `${w.limit}, ${policy}` : String(w.limit),
                }),
            ...(!inline && policy ? { 'RateLimit-Policy': policy } : {}),
            ...(w.remaining === undefined ? {} : { 'RateLimit-Remaining': String(w.remaining) }),
            ...(w.resetMs === undefined ? {} : { 'RateLimit-Reset': String(w.resetMs / 1_000) }),
          }
          expect(parsed(headers)).toEqual([
            clean({ name: 'default', ...w, windowMs: policy ? windowMs : undefined }),
          ])
        },
      ),
    )
  })

  it('X-RateLimit-* with every reset form, from the Date header', () => {
    const form = fc.constantFrom(
      'delta-s',
      'epoch-s',
      'epoch-ms',
      'http-date',
      'rfc3339',
      'reset-after',
      'epoch-s-fraction',
    )
    const resource = maybe(fc.constantFrom('core', 'search', 'graphql', 'integration_manifest'))
    fc.assert(
      fc.property(
        maybe(count),
        maybe(count),
        fc.boolean(),
        maybe(fc.integer({ min: 0, max: MAX_RESET_MS })),
        form,
        resource,
        fc.integer({ min: -5_000, max: 5_000 }),
        (limit, left, asUsed, resetMs, style, name, skew) => {
          const remaining = left !== undefined && limit !== undefined ? Math.min(left, limit) : left
          fc.pre(limit !== undefined || remaining !== undefined || resetMs !== undefined)
          // Forms with whole seconds carry whole seconds.
          const wholeSeconds = ['delta-s', 'epoch-s', 'http-date'].includes(style)
          const reset =
            resetMs === undefined
              ? undefined
              : wholeSeconds
                ? Math.floor(resetMs / 1_000) * 1_000
                : resetMs
          const written: Record<string, string> = {
            date: new Date(nowS).toUTCString(),
            ...(limit === undefined ? {} : { 'X-RateLimit-Limit': String(limit) }),
            ...(remaining === undefined
              ? {}
              : asUsed && limit !== undefined
                ? { 'X-RateLimit-Used': String(limit - remaining) }
                : { 'X-RateLimit-Remaining': String(remaining) }),
            ...(name === undefined ? {} : { 'X-RateLimit-Resource': name }),
          }
          if (reset !== undefined) {
            const at = nowS + reset
            if (style === 'delta-s') written['X-RateLimit-Reset'] = String(reset / 1_000)
            if (style === 'epoch-s') written['X-RateLimit-Reset'] = String(at / 1_000)
            if (style === 'epoch-s-fraction') written['X-RateLimit-Reset'] = (at / 1_000).toFixed(3)
            if (style === 'epoch-ms') written['X-RateLimit-Reset'] = String(at)
            if (style === 'http-date') written['X-RateLimit-Reset'] = new Date(at).toUTCString()
            if (style === 'rfc3339') written['X-RateLimit-Reset'] = new Date(at).toISOString()
            if (style === 'reset-after')
              written['X-RateLimit-Reset-After'] = (reset / 1_000).toFixed(3)
          }
          expect(parsed(written, { now: nowS + skew })).toEqual([
            clean({
              name: name ?? 'default',
              limit,
              remaining,
              resetMs: reset,
              windowMs: name === 'core' ? 3_600_000 : undefined,
            }),
          ])
        },
      ),
    )
  })

  it('X-RateLimit-Retry-After as delta-seconds or an epoch', () => {
    fc.assert(
      fc.property(seconds(MAX_RESET_MS / 1_000), fc.boolean(), (wait, asEpoch) => {
        const value = asEpoch ? String((nowS + wait) / 1_000) : String(wait / 1_000)
        expect(parseRateLimitHeaders({ 'X-RateLimit-Retry-After': value }, { now: nowS })).toEqual({
          retryAfterMs: wait,
        })
      }),
    )
  })

  it('OpenAI and per-window headers, Go durations or decimal seconds', () => {
    const window = fc.record({
      name: fc.constantFrom(
        'requests',
        'tokens',
        'requests-day',
        'tokens-minute',
        'requests-hour',
        'minute',
        'day',
      ),
      limit: count,
      remaining: count,
      resetMs: fc.integer({ min: 0, max: MAX_RESET_MS }),
      go: fc.boolean(),
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(window, { selector: (w) => w.name, minLength: 1, maxLength: 4 }),
        (windows) => {
          const headers: Record<string, string> = {}
          for (const w of windows) {
            headers[`x-ratelimit-limit-${w.name}`] = String(w.limit)
            headers[`x-ratelimit-remaining-${w.name}`] = String(w.remaining)
            headers[`x-ratelimit-reset-${w.name}`] = w.go
              ? goDuration(w.resetMs)
              : (w.resetMs / 1_000).toFixed(3)
          }
          const periods = new Map([
            ['minute', 60_000],
            ['hour', 3_600_000],
            ['day', 86_400_000],
          ])
          const period = (name: string) => periods.get(name.split('-').at(-1) ?? '')
          expect(parsed(headers)).toEqual(
            windows.map((w) =>
              clean({
                name: w.name,
                limit: w.limit,
                remaining: w.remaining,
                resetMs: w.resetMs,
                windowMs: period(w.name),
                unit: w.name.startsWith('tokens') ? 'tokens' : undefined,
              }),
            ),
          )
        },
      ),
    )
  })

  it('Shopify REST call limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.nat(), (limit, n) => {
        const used = n % (limit + 1)
        expect(parsed({ 'X-Shopify-Shop-Api-Call-Limit': `${used}/${limit}` })).toEqual([
          { name: 'calls', limit, remaining: limit - used },
        ])
      }),
    )
  })

  it('Shopify GraphQL cost', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 2_000 }),
        maybe(fc.nat({ max: 5_000 })),
        maybe(fc.nat({ max: 5_000 })),
        (limit, n, restoreRate, requested, actual) => {
          const remaining = n % (limit + 1)
          const body = {
            extensions: {
              cost: {
                requestedQueryCost: requested,
                actualQueryCost: actual ?? null,
                throttleStatus: {
                  maximumAvailable: limit,
                  currentlyAvailable: remaining,
                  restoreRate,
                },
              },
            },
          }
          // The refill time, rounded up to the millisecond.
          const resetMs = Math.ceil(((limit - remaining) * 1_000) / restoreRate)
          expect(parseRateLimitBody(body)).toEqual([
            clean({
              name: 'cost',
              unit: 'points',
              limit,
              remaining,
              resetMs,
              cost:
                requested === undefined && actual === undefined
                  ? undefined
                  : clean({ requested, actual }),
            }),
          ])
        },
      ),
    )
  })

  it('Xero remaining, and the window a 429 names', () => {
    fc.assert(
      fc.property(
        maybe(count),
        maybe(count),
        maybe(count),
        maybe(fc.constantFrom('day', 'minute', 'app-minute')),
        (day, minute, app, problem) => {
          const headers = {
            ...(day === undefined ? {} : { 'X-DayLimit-Remaining': String(day) }),
            ...(minute === undefined ? {} : { 'X-MinLimit-Remaining': String(minute) }),
            ...(app === undefined ? {} : { 'X-AppMinLimit-Remaining': String(app) }),
            ...(problem === undefined
              ? {}
              : {
                  'X-Rate-Limit-Problem': {
                    day: 'DayLimit',
                    minute: 'MinLimit',
                    'app-minute': 'AppMinLimit',
                  }[problem],
                }),
          }
          const expected = (
            [
              ['day', day, 86_400_000],
              ['minute', minute, 60_000],
              ['app-minute', app, 60_000],
            ] as const
          )
            .map(([name, remaining, windowMs]) => ({
              name,
              remaining: problem === name ? 0 : remaining,
              windowMs,
            }))
            .filter((w) => w.remaining !== undefined)
          expect(parsed(headers)).toEqual(expected)
        },
      ),
    )
  })

  it('HubSpot interval, daily and secondly', () => {
    const pair = fc.record({ limit: maybe(count), remaining: maybe(count) })
    fc.assert(
      fc.property(
        pair,
        pair,
        pair,
        maybe(fc.integer({ min: 1, max: 600_000 })),
        (interval, daily, secondly, intervalMs) => {
          const p = 'X-HubSpot-RateLimit-'
          const put = (
            limitName: string,
            remainingName: string,
            w: { limit?: number | undefined; remaining?: number | undefined },
          ) => ({
            ...(w.limit === undefined ? {} : { [p + limitName]: String(w.limit) }),
            ...(w.remaining === undefined ? {} : { [p + remainingName]: String(w.remaining) }),
          })
          const headers = {
            ...put('Max', 'Remaining', interval),
            ...put('Daily', 'Daily-Remaining', daily),
            ...put('Secondly', 'Secondly-Remaining', secondly),
            ...(intervalMs === undefined
              ? {}
              : { [`${p}Interval-Milliseconds`]: String(intervalMs) }),
          }
          const expected = [
            { name: 'interval', ...interval, windowMs: intervalMs },
            { name: 'daily', ...daily, windowMs: 86_400_000 },
            { name: 'secondly', ...secondly, windowMs: 1_000 },
          ]
            .filter((w) => w.limit !== undefined || w.remaining !== undefined)
            .map(clean)
          expect(parsed(headers)).toEqual(expected)
        },
      ),
    )
  })
})
