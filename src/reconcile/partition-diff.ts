import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SeamlineError } from '../errors/index.js'
import { entryBatches, type EntryOptions } from './entries.js'
import { fileBytesOf } from './file-sources.js'
import type { Tally } from './findings.js'
import type { CompiledSide } from './side.js'
import type { Key, SourceRecord } from './source.js'
import { decodeKey, fanout, partitionOf, spillLine } from './spill-lines.js'

export interface PartitionOptions extends EntryOptions {
  reconciler: string
  /**
   * Roughly how much the in-memory table may hold before it spills to disk (an estimate of its
   * keys and texts; the process grows by a few times this with the collector's headroom).
   * Default 32 MiB.
   */
  memoryBytes?: number
  /** Where spill files go (a fresh folder inside it, removed afterwards). Default the OS temp dir. */
  tempDir?: string
  afterBatch?: () => Promise<void> | undefined
  /** Told when the table spilled, with the number of partitions. */
  onSpill?: (partitions: number) => void
}

const maxLevel = 4
// Canonical texts never hold a NUL (JSON escapes it), so it cannot be mistaken for one.
const matched = '\u0000'
const costOf = (key: Key, canon: string): number =>
  80 + (typeof key === 'string' ? key.length : 8) + canon.length

/** Lines appended to a set of partition files, buffered so each write is large. */
class Spill {
  private readonly pending: string[][] = Array.from({ length: fanout }, () => [])
  private readonly sizes = new Array<number>(fanout).fill(0)
  private readonly files: (FileHandle | undefined)[] = new Array<FileHandle | undefined>(
    fanout,
  ).fill(undefined)
  readonly paths: string[]

  constructor(
    dir: string,
    readonly name: string,
    private readonly level: number,
  ) {
    this.paths = Array.from({ length: fanout }, (_, p) => join(dir, `${name}-${p}`))
  }

  add(key: Key, canon: string): Promise<void> | undefined {
    return this.addText(partitionOf(key, this.level), spillLine(key, canon))
  }

  /** Lines already made (by a reading thread), `texts[p]` for partition p: a chunk's worth, written at once. */
  async addParts(texts: readonly string[]): Promise<void> {
    for (let p = 0; p < fanout; p++) {
      if (texts[p]!.length === 0) continue
      this.pending[p]!.push(texts[p]!)
      await this.write(p)
    }
  }

  private addText(p: number, text: string): Promise<void> | undefined {
    this.pending[p]!.push(text)
    this.sizes[p]! += text.length
    return this.sizes[p]! > 1 << 18 ? this.write(p) : undefined
  }

  private async write(p: number): Promise<void> {
    const text = this.pending[p]!.join('')
    this.pending[p] = []
    this.sizes[p] = 0
    const file = (this.files[p] ??= await open(this.paths[p]!, 'a'))
    await file.write(text)
  }

  private closed = false

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (let p = 0; p < fanout; p++) {
      if (this.sizes[p]! > 0) await this.write(p)
      else if (!this.files[p]) this.files[p] = await open(this.paths[p]!, 'a')
    }
    await Promise.all(this.files.map((f) => (f ? f.close() : Promise.resolve())))
  }
}

/** Every line of a spill file, a chunk at a time (the lines of a chunk are handed over together). */
async function* spillLines(path: string): AsyncGenerator<string[]> {
  let rest = ''
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string)
    const lines = text.split('\n')
    rest = lines.pop() ?? ''
    yield lines
  }
  if (rest) yield [rest]
}

/**
 * Diffs two sides in any order. The left side is loaded into a table (key → canonical text)
 * and the right side probes it; when the table outgrows the memory budget, both sides are
 * hash-partitioned by key into spill files and each pair of partitions is diffed the same way,
 * partitioned again if still too large. The spill folder is removed whatever happens.
 */
export async function partitionDiff(
  left: CompiledSide<SourceRecord>,
  right: CompiledSide<SourceRecord>,
  tally: Tally,
  options: PartitionOptions,
): Promise<void> {
  const budget = options.memoryBytes ?? 32 * 1024 * 1024
  const { reconciler, afterBatch } = options
  let spilled: { dir: string; left: Spill } | undefined
  // One side is read at a time, so a file side gets two reading threads; once the table has
  // spilled they send spill lines, and this thread only appends them to the files.
  options = { threads: 2, ...options, firstLevelParts: () => spilled !== undefined }
  const where = (side: CompiledSide<SourceRecord>) => ({
    operation: `reconcile ${reconciler}`,
    target: `${side.label} source ${side.spec.source.name}`,
  })
  const duplicate = (side: CompiledSide<SourceRecord>, key: Key) =>
    new SeamlineError('SEAM_ERR_RECONCILE_DUPLICATE_KEY', {
      ...where(side),
      reason: `gave the key ${JSON.stringify(key)} twice`,
    })

  // Probes the table with right-side entries; what is left unmatched afterwards is left-only.
  const rightOnly = new Set<Key>()
  const probe = (table: Map<Key, string>, key: Key, canon: string): void => {
    const found = table.get(key)
    if (found === undefined) {
      if (rightOnly.has(key)) throw duplicate(right, key)
      rightOnly.add(key)
      tally.rightOnly(key, canon)
    } else if (found === matched) throw duplicate(right, key)
    else {
      tally.compare(key, found, canon)
      table.set(key, matched)
    }
  }
  const leftOnly = (table: Map<Key, string>): void => {
    for (const [key, canon] of table) if (canon !== matched) tally.leftOnly(key, canon)
  }

  let table = new Map<Key, string>()
  let bytes = 0
  const spill = async (): Promise<{ dir: string; left: Spill }> => {
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'seamline-reconcile-'))
    options.onSpill?.(fanout)
    return { dir, left: new Spill(dir, 'left', 0) }
  }
  // A whole file (no window) that would fill the table twice over is partitioned from its first
  // line: filling the table only to write it out again costs time, and leaves a heap the size of
  // the table that the collector gives back late.
  if (!options.window && (await fileBytesOf(left.spec.source)) > 2 * budget) spilled = await spill()
  const lefts = entryBatches(left, options)
  try {
    for await (const { keys, canons, parts } of lefts) {
      if (parts) {
        tally.counts.left += parts.count
        await spilled!.left.addParts(parts.texts)
        await afterBatch?.()
        continue
      }
      tally.counts.left += keys.length
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        const canon = canons[i]!
        if (spilled) {
          const write = spilled.left.add(key, canon)
          if (write) await write
          continue
        }
        if (table.has(key)) throw duplicate(left, key)
        table.set(key, canon)
        bytes += costOf(key, canon)
        if (bytes > budget) {
          spilled = await spill()
          for (const [k, c] of table) {
            const write = spilled.left.add(k, c)
            if (write) await write
          }
          table = new Map()
          bytes = 0
        }
      }
      await afterBatch?.()
    }
    if (!spilled) {
      for await (const { keys, canons } of entryBatches(right, options)) {
        tally.counts.right += keys.length
        for (let i = 0; i < keys.length; i++) probe(table, keys[i]!, canons[i]!)
        await afterBatch?.()
      }
      leftOnly(table)
      return
    }
    const rightSpill = new Spill(spilled.dir, 'right', 0)
    try {
      for await (const { keys, canons, parts } of entryBatches(right, options)) {
        if (parts) {
          tally.counts.right += parts.count
          await rightSpill.addParts(parts.texts)
          await afterBatch?.()
          continue
        }
        tally.counts.right += keys.length
        for (let i = 0; i < keys.length; i++) {
          const write = rightSpill.add(keys[i]!, canons[i]!)
          if (write) await write
        }
        await afterBatch?.()
      }
    } finally {
      await Promise.all([spilled.left.close(), rightSpill.close()])
    }
    const diffPair = async (leftPath: string, rightPath: string, level: number): Promise<void> => {
      let part = new Map<Key, string>()
      let size = 0
      let over = false
      for await (const lines of spillLines(leftPath)) {
        for (const line of lines) {
          const tab = line.indexOf('\t')
          const key = decodeKey(line.slice(0, tab))
          const canon = line.slice(tab + 1)
          if (part.has(key)) throw duplicate(left, key)
          part.set(key, canon)
          size += costOf(key, canon)
        }
        if (size > budget && level < maxLevel) {
          over = true
          break
        }
      }
      if (over) {
        // Too large still: split this pair again under another hash, and diff the pieces.
        part = new Map()
        const dir = spilled!.dir
        const [l, r] = [
          new Spill(dir, `${leftPath.slice(dir.length + 1)}.${level}`, level),
          new Spill(dir, `${rightPath.slice(dir.length + 1)}.${level}`, level),
        ]
        for (const [spill, path] of [
          [l, leftPath],
          [r, rightPath],
        ] as const) {
          try {
            for await (const lines of spillLines(path)) {
              for (const line of lines) {
                const tab = line.indexOf('\t')
                const write = spill.add(decodeKey(line.slice(0, tab)), line.slice(tab + 1))
                if (write) await write
              }
            }
          } finally {
            await spill.close()
          }
          await rm(path)
        }
        for (let p = 0; p < fanout; p++) await diffPair(l.paths[p]!, r.paths[p]!, level + 1)
        return
      }
      rightOnly.clear()
      for await (const lines of spillLines(rightPath)) {
        for (const line of lines) {
          const tab = line.indexOf('\t')
          probe(part, decodeKey(line.slice(0, tab)), line.slice(tab + 1))
        }
        await afterBatch?.()
      }
      leftOnly(part)
      await Promise.all([rm(leftPath), rm(rightPath)])
    }
    for (let p = 0; p < fanout; p++) await diffPair(spilled.left.paths[p]!, rightSpill.paths[p]!, 1)
  } finally {
    if (spilled) {
      await spilled.left.close().catch(() => undefined)
      await rm(spilled.dir, { recursive: true, force: true })
    }
  }
}
