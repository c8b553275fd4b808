import { open, type FileHandle } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { SeamlineError, type ErrorCode } from '../errors/index.js'
import type { EntryBatch, EntryOptions } from './entries.js'
import {
  fileBytesOf,
  fileRecipeOf,
  jsonLineError,
  JsonLineProblem,
  unreadable,
  type FileRecipe,
} from './file-sources.js'
import type { CompiledSide, SideRecipe } from './side.js'
import type { Key } from './source.js'

/** What a worker thread is started with: the side to compile again, and the run's filters. */
export interface EntryWorkerData {
  side: SideRecipe
  window?: { from?: number; to?: number }
  skip?: Key[]
  watchChanges: boolean
}

/** An error thrown in a thread, sent as data: a bad line, a `SeamlineError`'s parts, or a message. */
export type WorkerFailure =
  | { line: number; problem: string; cause?: unknown }
  | { code: ErrorCode; operation: string; target: string; reason: string; cause?: unknown }
  | { message: string }

type FromWorker =
  | {
      keys: Key[]
      canons: string[]
      parts?: { count: number; texts: string[] }
      lines: number
      changedAt?: number
    }
  | { failure: WorkerFailure }
  | { crashed: unknown }
  | { exited: number }

// Below this a file is read faster in this thread than workers can start.
const smallFile = 8 << 20
// Chunks handed to each thread before the main thread has taken their entries.
const aheadPerThread = 2

// Built, the worker is the compiled .js beside this file; run from the TypeScript sources (the
// tests), it is the .ts file, loaded through a type-stripping hook that only the repository has.
const fromSources = import.meta.url.endsWith('.ts')
const workerUrl = new URL(fromSources ? './entry-worker.ts' : './entry-worker.js', import.meta.url)
const execArgv = fromSources
  ? ['--import', new URL('../../scripts/ts-worker-register.mjs', import.meta.url).href]
  : undefined

let live = 0
/** Reading threads started and not yet ended (the tests check that none outlives its run). */
export const liveReadingThreads = (): number => live

/**
 * The threads' starting data when the side is a JSON-lines file worth them and every part of
 * its definition can be copied to a thread (a function cannot); else undefined: read here.
 */
export async function workerPlanFor<R>(
  side: CompiledSide<R>,
  options: EntryOptions,
): Promise<{ file: FileRecipe; data: EntryWorkerData } | undefined> {
  if (options.workers === false) return undefined
  const file = fileRecipeOf(side.spec.source)
  if (!file) return undefined
  const data: EntryWorkerData = {
    side: side.recipe,
    ...(options.window && { window: options.window }),
    ...(options.skip && { skip: [...options.skip] }),
    watchChanges: options.onChangedAt !== undefined,
  }
  try {
    structuredClone(data)
  } catch {
    return undefined
  }
  if (options.workers === undefined && (await fileBytesOf(side.spec.source)) < smallFile) {
    return undefined
  }
  return { file, data }
}

/** Reads a file in chunks that end at a line break (the last one at the end of the file). */
class LineChunks {
  private tail = Buffer.alloc(0)
  private ended = false

  constructor(
    private readonly file: FileHandle,
    private readonly chunkBytes: number,
  ) {}

  /** The next chunk, in a buffer of its own (it is handed to a thread); undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    while (!this.ended) {
      const buffer = Buffer.allocUnsafeSlow(this.tail.length + this.chunkBytes)
      this.tail.copy(buffer)
      const { bytesRead } = await this.file.read(buffer, this.tail.length, this.chunkBytes, null)
      const filled = this.tail.length + bytesRead
      if (bytesRead === 0) {
        this.ended = true
        this.tail = Buffer.alloc(0)
        return filled > 0 ? buffer.subarray(0, filled) : undefined
      }
      const cut = buffer.lastIndexOf(10, filled - 1)
      // A line longer than a chunk: read on until it ends.
      this.tail = Buffer.from(buffer.subarray(cut + 1, filled))
      if (cut >= 0) return buffer.subarray(0, cut + 1)
    }
    return undefined
  }
}

const readFailed = <R>(side: CompiledSide<R>, reason: string, cause?: unknown) =>
  new SeamlineError('SEAM_ERR_RECONCILE_SOURCE', {
    operation: `reconcile ${side.recipe.reconciler}`,
    target: `${side.label} source ${side.spec.source.name}`,
    reason,
    ...(cause !== undefined && { cause }),
  })

/**
 * A JSON-lines side's entries, parsed and canonicalized by `threads` worker threads while this
 * thread diffs. This thread reads the file in chunks cut at line breaks and deals them out in
 * turn; entries come back in the file's order, so findings and samples are those of a read in
 * this thread. The threads end whenever the reading stops (done, an error, an abort, or the
 * engine closing early).
 */
export async function* workerEntryBatches<R>(
  side: CompiledSide<R>,
  plan: { file: FileRecipe; data: EntryWorkerData },
  options: EntryOptions,
  threads: number,
): AsyncGenerator<EntryBatch> {
  const { signal, onChangedAt } = options
  const { path, chunkBytes } = plan.file
  signal?.throwIfAborted()
  let file: FileHandle
  try {
    file = await open(path)
  } catch (error) {
    throw unreadable(path, error)
  }
  const workers: Worker[] = []
  const inbox: FromWorker[][] = []
  let wake: (() => void) | undefined
  const onAbort = () => wake?.()
  signal?.addEventListener('abort', onAbort)
  try {
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(workerUrl, {
        workerData: plan.data,
        // A chunk's garbage dies young; a bounded nursery, shared out among a side's threads,
        // keeps their memory that of one thread.
        resourceLimits: { maxYoungGenerationSizeMb: 16 / threads },
        ...(execArgv && { execArgv }),
      })
      live++
      worker.once('exit', () => live--)
      const messages: FromWorker[] = []
      const push = (message: FromWorker) => {
        messages.push(message)
        wake?.()
      }
      worker.on('message', push)
      worker.on('error', (error) => push({ crashed: error }))
      worker.on('exit', (code) => push({ exited: code }))
      workers.push(worker)
      inbox.push(messages)
    }
    const chunks = new LineChunks(file, chunkBytes)
    let sent = 0
    let taken = 0
    let ended = false
    let line = 0
    const send = async () => {
      let chunk: Buffer | undefined
      try {
        chunk = await chunks.next()
      } catch (error) {
        throw unreadable(path, error)
      }
      if (!chunk) {
        ended = true
        return
      }
      const bytes = chunk.buffer as ArrayBuffer
      const asParts = options.firstLevelParts?.() ?? false
      workers[sent++ % threads]!.postMessage({ bytes, length: chunk.length, asParts }, [bytes])
    }
    for (;;) {
      while (!ended && sent - taken < threads * aheadPerThread) await send()
      if (taken === sent) return
      const messages = inbox[taken % threads]!
      while (messages.length === 0) {
        signal?.throwIfAborted()
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
      signal?.throwIfAborted()
      const message = messages.shift()!
      taken++
      if ('keys' in message) {
        line += message.lines
        if (message.changedAt !== undefined) onChangedAt?.(message.changedAt)
        if (message.parts) {
          const parts = message.parts
          if (parts.count > 0) yield { keys: message.keys, canons: message.canons, parts }
        } else if (message.keys.length > 0) yield { keys: message.keys, canons: message.canons }
      } else if ('failure' in message) {
        const failure = message.failure
        if ('line' in failure) {
          const problem = new JsonLineProblem(failure.problem, { cause: failure.cause })
          throw jsonLineError(path, line + failure.line, problem)
        }
        if ('code' in failure) {
          const { code, cause, ...rest } = failure
          throw new SeamlineError(code, { ...rest, ...(cause !== undefined && { cause }) })
        }
        throw readFailed(side, `failed in a reading thread: ${failure.message}`)
      } else if ('crashed' in message) {
        throw readFailed(side, 'failed in a reading thread', message.crashed)
      } else {
        throw readFailed(side, `lost a reading thread (exit code ${message.exited})`)
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await Promise.all(
      workers.map((worker) => {
        worker.removeAllListeners('message')
        worker.removeAllListeners('error')
        return worker.terminate()
      }),
    )
    await file.close()
  }
}
