/**
 * A strict parser for Structured Field Values (RFC 9651, which obsoletes RFC 8941), the syntax
 * of the IETF `RateLimit` and `RateLimit-Policy` fields: Lists and Dictionaries of Items and
 * Inner Lists, each with Parameters. Bare items: Integers, Decimals, Strings, Tokens, Byte
 * Sequences (kept as their base64 text), Booleans and Dates. A Display String, or anything the
 * grammar does not allow, fails the whole field, as the RFC requires: the caller then ignores it.
 */

export type BareItem =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'decimal'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'token'; readonly value: string }
  /** Base64 text between the colons, not decoded. */
  | { readonly type: 'bytes'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  /** Seconds since the epoch. */
  | { readonly type: 'date'; readonly value: number }

export type Parameters = ReadonlyMap<string, BareItem>

export interface Item {
  readonly kind: 'item'
  readonly bare: BareItem
  readonly params: Parameters
}

export interface InnerList {
  readonly kind: 'inner-list'
  readonly items: readonly Item[]
  readonly params: Parameters
}

export type Member = Item | InnerList

/** A List field (RFC 9651 §4.2.1), or undefined when the text is not one. Never throws. */
export function parseList(text: string): Member[] | undefined {
  return attempt(text, (reader) => {
    const members: Member[] = []
    while (!reader.done()) {
      members.push(itemOrInnerList(reader))
      if (!separated(reader)) break
    }
    return members
  })
}

/** A Dictionary field (RFC 9651 §4.2.2), or undefined when the text is not one. Never throws. */
export function parseDictionary(text: string): Map<string, Member> | undefined {
  return attempt(text, (reader) => {
    const members = new Map<string, Member>()
    while (!reader.done()) {
      const name = key(reader)
      let member: Member
      if (reader.peek() === '=') {
        reader.next()
        member = itemOrInnerList(reader)
      } else {
        member = {
          kind: 'item',
          bare: { type: 'boolean', value: true },
          params: parameters(reader),
        }
      }
      // A repeated key keeps its last value (§4.2.2).
      members.set(name, member)
      if (!separated(reader)) break
    }
    return members
  })
}

const invalid = new Error('not a structured field')

// After a list or dictionary member: false at the end, else past the comma before the next one
// (a trailing comma is not allowed).
function separated(reader: Reader): boolean {
  reader.skipOws()
  if (reader.done()) return false
  reader.expect(',')
  reader.skipOws()
  if (reader.done()) throw invalid
  return true
}

class Reader {
  #text: string
  #at = 0
  constructor(text: string) {
    this.#text = text
  }
  done(): boolean {
    return this.#at >= this.#text.length
  }
  peek(): string {
    return this.#text[this.#at] ?? ''
  }
  next(): string {
    const char = this.peek()
    if (char === '') throw invalid
    this.#at += 1
    return char
  }
  expect(char: string): void {
    if (this.next() !== char) throw invalid
  }
  skipSp(): void {
    while (this.peek() === ' ') this.#at += 1
  }
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.#at += 1
  }
}

function attempt<T>(text: string, parse: (reader: Reader) => T): T | undefined {
  if (typeof text !== 'string') return undefined
  // The field's value as HTTP delivers it, without the optional whitespace around it.
  const reader = new Reader(text.replace(/^[ \t]+|[ \t]+$/g, ''))
  try {
    return parse(reader)
  } catch {
    return undefined
  }
}

function itemOrInnerList(reader: Reader): Member {
  if (reader.peek() !== '(') return item(reader)
  reader.next()
  const items: Item[] = []
  for (;;) {
    reader.skipSp()
    if (reader.peek() === ')') {
      reader.next()
      return { kind: 'inner-list', items, params: parameters(reader) }
    }
    items.push(item(reader))
    const after = reader.peek()
    if (after !== ' ' && after !== ')') throw invalid
  }
}

function item(reader: Reader): Item {
  const bare = bareItem(reader)
  return { kind: 'item', bare, params: parameters(reader) }
}

function parameters(reader: Reader): Map<string, BareItem> {
  const params = new Map<string, BareItem>()
  while (reader.peek() === ';') {
    reader.next()
    reader.skipSp()
    const name = key(reader)
    let value: BareItem = { type: 'boolean', value: true }
    if (reader.peek() === '=') {
      reader.next()
      value = bareItem(reader)
    }
    // A repeated parameter keeps its last value (§4.2.3.2).
    params.set(name, value)
  }
  return params
}

function key(reader: Reader): string {
  const first = reader.peek()
  if (!/^[a-z*]$/.test(first)) throw invalid
  let name = ''
  while (/^[a-z0-9_\-.*]$/.test(reader.peek())) name += reader.next()
  return name
}

function bareItem(reader: Reader): BareItem {
  const first = reader.peek()
  if (first === '-' || isDigit(first)) return number(reader)
  if (first === '"') return string(reader)
  if (first === '*' || /^[A-Za-z]$/.test(first)) return token(reader)
  if (first === ':') return bytes(reader)
  if (first === '?') return boolean(reader)
  if (first === '@') return date(reader)
  // Display Strings (`%"…"`) are not needed here; anything else is not a bare item.
  throw invalid
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9' && char.length === 1
}

// §4.2.4: at most 15 digits for an Integer; at most 12 before and 3 after the point for a Decimal.
function number(reader: Reader): BareItem {
  let sign = 1
  if (reader.peek() === '-') {
    reader.next()
    sign = -1
  }
  if (!isDigit(reader.peek())) throw invalid
  let digits = ''
  let decimal = false
  for (;;) {
    const char = reader.peek()
    if (isDigit(char)) digits += reader.next()
    else if (!decimal && char === '.') {
      if (digits.length > 12) throw invalid
      digits += reader.next()
      decimal = true
    } else break
    if (!decimal && digits.length > 15) throw invalid
    if (decimal && digits.length > 16) throw invalid
  }
  if (!decimal) return { type: 'integer', value: sign * Number(digits) }
  const fraction = digits.length - digits.indexOf('.') - 1
  if (fraction < 1 || fraction > 3) throw invalid
  return { type: 'decimal', value: sign * Number(digits) }
}

// §4.2.5: printable ASCII only; the only escapes are \" and \\.
function string(reader: Reader): BareItem {
  reader.expect('"')
  let value = ''
  for (;;) {
    const char = reader.next()
    if (char === '\\') {
      const escaped = reader.next()
      if (escaped !== '"' && escaped !== '\\') throw invalid
      value += escaped
    } else if (char === '"') {
      return { type: 'string', value }
    } else {
      const code = char.charCodeAt(0)
      if (code < 0x20 || code > 0x7e) throw invalid
      value += char
    }
  }
}

// §4.2.6: an ALPHA or `*`, then tchar, `:` or `/`.
function token(reader: Reader): BareItem {
  let value = reader.next()
  while (/^[!#$%&'*+\-.^_`|~0-9A-Za-z:/]$/.test(reader.peek())) value += reader.next()
  return { type: 'token', value }
}

// §4.2.7: base64 between colons.
function bytes(reader: Reader): BareItem {
  reader.expect(':')
  let value = ''
  for (;;) {
    const char = reader.next()
    if (char === ':') return { type: 'bytes', value }
    if (!/^[A-Za-z0-9+/=]$/.test(char)) throw invalid
    value += char
  }
}

// §4.2.8: `?1` or `?0`.
function boolean(reader: Reader): BareItem {
  reader.expect('?')
  const char = reader.next()
  if (char === '1') return { type: 'boolean', value: true }
  if (char === '0') return { type: 'boolean', value: false }
  throw invalid
}

// §4.2.9: `@` and an Integer.
function date(reader: Reader): BareItem {
  reader.expect('@')
  const seconds = number(reader)
  if (seconds.type !== 'integer') throw invalid
  return { type: 'date', value: seconds.value }
}
