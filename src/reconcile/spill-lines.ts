import type { Key } from './source.js'

/** Partition files per spill. */
export const fanout = 16

/** Which of the `fanout` partitions a key goes to at a level of splitting (FNV-1a, seeded by level). */
export function partitionOf(key: Key, level: number): number {
  const text = typeof key === 'string' ? key : String(key)
  let h = (2166136261 ^ Math.imul(level + 1, 0x9e3779b9)) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return (h >>> 0) % fanout
}

export const encodeKey = (key: Key): string =>
  typeof key === 'number' ? String(key) : JSON.stringify(key)

export const decodeKey = (text: string): Key => {
  if (text.charCodeAt(0) !== 34) return Number(text)
  return text.includes('\\') ? (JSON.parse(text) as string) : text.slice(1, -1)
}

/** One entry as a line of a spill file: the key (JSON for text), a tab, the canonical text. */
export const spillLine = (key: Key, canon: string): string => `${encodeKey(key)}\t${canon}\n`

/** Entries as the text each first-level partition file gets, in their order. */
export function firstLevelParts(keys: readonly Key[], canons: readonly string[]): string[] {
  const lines: string[][] = Array.from({ length: fanout }, () => [])
  for (let i = 0; i < keys.length; i++)
    lines[partitionOf(keys[i]!, 0)]!.push(spillLine(keys[i]!, canons[i]!))
  return lines.map((part) => part.join(''))
}
