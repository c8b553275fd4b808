import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDictionary, parseList, type BareItem, type Member } from './structured-fields.js'

// A compact view of what was parsed: bare value plus its parameters.
function view(member: Member): unknown {
  const params = Object.fromEntries([...member.params].map(([k, v]) => [k, v.value]))
  return member.kind === 'item'
    ? [member.bare.type, member.bare.value, params]
    : ['inner', member.items.map(view), params]
}

describe('structured fields: lists', () => {
  it.each([
    [
      '"burst";q=100;w=60,"daily";q=1000;w=86400',
      [
        ['string', 'burst', { q: 100, w: 60 }],
        ['string', 'daily', { q: 1000, w: 86400 }],
      ],
    ],
    [
      '"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:',
      [['string', 'peruser', { q: 65535, qu: 'content-bytes', w: 10, pk: 'sdfjLJUOUH==' }]],
    ],
    [
      '  "a" ,\t"b"  ',
      [
        ['string', 'a', {}],
        ['string', 'b', {}],
      ],
    ],
    [
      '100;w=10, 50;w=60',
      [
        ['integer', 100, { w: 10 }],
        ['integer', 50, { w: 60 }],
      ],
    ],
    [
      '-12, 3.5, 0.125, -999999999999.999',
      [
        ['integer', -12, {}],
        ['decimal', 3.5, {}],
        ['decimal', 0.125, {}],
        ['decimal', -999999999999.999, {}],
      ],
    ],
    [
      'tok/en:x, *star',
      [
        ['token', 'tok/en:x', {}],
        ['token', '*star', {}],
      ],
    ],
    [
      '?1;flag, ?0, @1659578233',
      [
        ['boolean', true, { flag: true }],
        ['boolean', false, {}],
        ['date', 1659578233, {}],
      ],
    ],
    ['"esc \\" \\\\ end"', [['string', 'esc " \\ end', {}]]],
    [
      '("a" 1);p=2, ()',
      [
        [
          'inner',
          [
            ['string', 'a', {}],
            ['integer', 1, {}],
          ],
          { p: 2 },
        ],
        ['inner', [], {}],
      ],
    ],
    ['"x";a=1;a=2', [['string', 'x', { a: 2 }]]],
    ['', []],
    ['999999999999999', [['integer', 999999999999999, {}]]],
  ])('%j', (text, expected) => {
    expect(parseList(text)?.map(view)).toEqual(expected)
  })

  it.each([
    '"a",',
    '"a",,"b"',
    '"unterminated',
    '"bad \\n escape"',
    '"é"',
    '1000000000000000',
    '1234567890123.5',
    '1.2345',
    '1.',
    '-',
    '"a";Q=1',
    '"a";=1',
    ':not base64!:',
    ':unterminated',
    '?2',
    '%"display"',
    '("a"',
    '("a""b")',
    '"a" "b"',
    '@1.5',
    'a=1',
  ])('rejects %j', (text) => {
    expect(parseList(text)).toBeUndefined()
  })
})

describe('structured fields: dictionaries', () => {
  it('reads members, bare keys as true, and keeps the last of a repeated key', () => {
    const dict = parseDictionary('limit=100, remaining=50, reset=5, on;x=1, limit=7')
    expect(dict && Object.fromEntries([...dict].map(([k, v]) => [k, view(v)]))).toEqual({
      limit: ['integer', 7, {}],
      remaining: ['integer', 50, {}],
      reset: ['integer', 5, {}],
      on: ['boolean', true, { x: 1 }],
    })
  })

  it.each(['"default";r=50', 'limit=', 'Limit=1', 'a=1,', 'a=1 b=2'])('rejects %j', (text) => {
    expect(parseDictionary(text)).toBeUndefined()
  })
})

// Serialisation (RFC 9651 §4.1) of the bare items the generator makes, to round-trip them.
function serialize(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      return String(item.value)
    case 'decimal':
      return item.value.toFixed(3).replace(/0{1,2}$/, '')
    case 'string':
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
    case 'token':
    case 'bytes':
      return item.type === 'bytes' ? `:${item.value}:` : item.value
    case 'boolean':
      return item.value ? '?1' : '?0'
    case 'date':
      return `@${item.value}`
  }
}

const bareItem: fc.Arbitrary<BareItem> = fc.oneof(
  fc
    .integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 })
    .map((value) => ({ type: 'integer' as const, value })),
  fc
    .integer({ min: -999_999_999, max: 999_999_999 })
    .map((n) => ({ type: 'decimal' as const, value: n / 1000 }))
    .filter((d) => !Number.isInteger(d.value)),
  fc
    .string({ unit: fc.constantFrom(...' !#$%&()*+,-./09:;<=>?@AZ[]^_`az{|}~"\\') })
    .map((value) => ({ type: 'string' as const, value })),
  fc
    .stringMatching(/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]{0,8}$/)
    .map((value) => ({ type: 'token' as const, value })),
  fc.base64String({ maxLength: 12 }).map((value) => ({ type: 'bytes' as const, value })),
  fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
  fc.integer({ min: 0, max: 2_000_000_000 }).map((value) => ({ type: 'date' as const, value })),
)
const key = fc.stringMatching(/^[a-z*][a-z0-9_\-.*]{0,6}$/)

describe('structured fields: properties', () => {
  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parseList(text)
        parseDictionary(text)
      }),
    )
  })

  it('reads back every list it could have written', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            bare: bareItem,
            params: fc.uniqueArray(fc.tuple(key, bareItem), { selector: ([k]) => k, maxLength: 3 }),
          }),
          { maxLength: 5 },
        ),
        (members) => {
          const text = members
            .map(
              (m) => serialize(m.bare) + m.params.map(([k, v]) => `;${k}=${serialize(v)}`).join(''),
            )
            .join(', ')
          const parsed = parseList(text)
          expect(parsed?.map(view)).toEqual(
            members.map((m) => [
              m.bare.type,
              m.bare.value,
              Object.fromEntries(m.params.map(([k, v]) => [k, v.value])),
            ]),
          )
        },
      ),
    )
  })
})
