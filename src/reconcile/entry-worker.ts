// A worker thread turning chunks of a JSON-lines file into entries: it parses, keys and
// canonicalizes the records, so the main thread only diffs (see worker-entries.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { SeamlineError } from '../errors/index.js'
import { toEntries, type EntryOptions } from './entries.js'
import { JsonLineProblem, jsonLineRecord } from './file-sources.js'
import { compileSide } from './side.js'
import { firstLevelParts } from './spill-lines.js'
import { defineSource, inBatches, type Key, type SourceRecord } from './source.js'
import type { EntryWorkerData, WorkerFailure } from './worker-entries.js'

const data = workerData as EntryWorkerData
const port = parentPort!
const { label, spec, shared, keyType, reconciler } = data.side
// The records come from the main thread's chunks; the source is only named here.
const source = defineSource({ name: spec.source.name, batches: () => inBatches([]) })
const side = compileSide(label, { ...spec, source }, shared, keyType, reconciler)
let latest: number | undefined
const options: EntryOptions = {
  ...(data.window && { window: data.window }),
  ...(data.skip && { skip: new Set<Key>(data.skip) }),
  ...(data.watchChanges && {
    onChangedAt: (ms: number) => {
      if (latest === undefined || ms > latest) latest = ms
    },
  }),
}

function failureOf(error: unknown, line: number): WorkerFailure {
  if (error instanceof JsonLineProblem) return { line, problem: error.message, cause: error.cause }
  if (error instanceof SeamlineError) {
    const { code, operation, target, message } = error
    const reason = message.slice(operation.length + target.length + 2)
    return { code, operation, target, reason, cause: error.cause }
  }
  return { message: error instanceof Error ? error.message : String(error) }
}

// Records are turned into entries this many at a time, so few are alive at once and the
// thread's young generation can stay small.
const recordsAtOnce = 256

/** The chunk's lines (every one ends with a line break but the file's last) as entries. */
function entriesOf(bytes: ArrayBuffer, length: number, asParts: boolean): void {
  const text = Buffer.from(bytes, 0, length).toString('utf8')
  const keys: Key[] = []
  const canons: string[] = []
  let records: SourceRecord[] = []
  // A bad value waits for the rest of the chunk: a bad line after it in the chunk is reported
  // first, as when the chunk is parsed whole and then compared.
  let valueError: { error: unknown } | undefined
  const flush = () => {
    if (!valueError) {
      try {
        const entries = toEntries(side, records, options)
        for (let i = 0; i < entries.keys.length; i++) {
          keys.push(entries.keys[i]!)
          canons.push(entries.canons[i]!)
        }
      } catch (error) {
        valueError = { error }
      }
    }
    records = []
  }
  let lines = 0
  latest = undefined
  try {
    let start = 0
    while (start < text.length) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      lines++
      const record = jsonLineRecord(text.slice(start, end))
      if (record && records.push(record) === recordsAtOnce) flush()
      start = end + 1
    }
    flush()
    if (valueError) return sendFailure(valueError.error, lines)
    const changed = latest !== undefined && { changedAt: latest }
    if (asParts) {
      const parts = { count: keys.length, texts: firstLevelParts(keys, canons) }
      port.postMessage({ keys: [], canons: [], parts, lines, ...changed })
    } else port.postMessage({ keys, canons, lines, ...changed })
  } catch (error) {
    sendFailure(error, lines)
  }
}

function sendFailure(error: unknown, lines: number): void {
  const failure = failureOf(error, lines)
  try {
    port.postMessage({ failure })
  } catch {
    // The cause could not be copied across: the failure goes without it.
    port.postMessage({ failure: { ...failure, cause: undefined } })
  }
}

port.on('message', (message: { bytes: ArrayBuffer; length: number; asParts: boolean }) =>
  entriesOf(message.bytes, message.length, message.asParts),
)
