import { describe, expect, it } from 'vitest'
import { canonical, parseForm } from './form.js'

describe('parseForm', () => {
  it('nests Stripe bracket notation into objects and arrays', () => {
    expect(
      parseForm(
        'amount=100&metadata[order]=42&items[0][price]=p1&items[1][price]=p2&expand[]=a&expand[]=b',
      ),
    ).toEqual({
      amount: '100',
      metadata: { order: '42' },
      items: [{ price: 'p1' }, { price: 'p2' }],
      expand: ['a', 'b'],
    })
  })

  it('skips names it cannot read and keeps the last of repeated plain names', () => {
    expect(parseForm('a]b=1&[x]=2&c=1&c=2')).toEqual({ c: '2' })
  })

  it('gives the same canonical text for the same parameters in any order', () => {
    expect(canonical(parseForm('a=1&metadata[x]=2&metadata[y]=3'))).toBe(
      canonical(parseForm('metadata[y]=3&a=1&metadata[x]=2')),
    )
    expect(canonical(parseForm('a=1'))).not.toBe(canonical(parseForm('a=2')))
  })
})
