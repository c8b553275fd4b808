import { z } from 'zod'
import type { DeadLetterFilter } from '../../jobs/index.js'
import { deadReasons, jobStates, type JobState } from '../../stores/index.js'

const limit = z.coerce.number().int().min(1).max(500).default(50)
const time = z.union([z.coerce.number().int(), z.iso.datetime().transform((v) => Date.parse(v))])
const state = z.enum(jobStates as [JobState, ...JobState[]])

export const eventQuery = z.strictObject({
  source: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  status: state.optional(),
  before: z.coerce.number().int().optional(),
  limit,
})

export const jobQuery = z.strictObject({
  state: state.optional(),
  name: z.string().min(1).optional(),
  afterId: z.string().min(1).optional(),
  limit,
})

const deadFilter = z.strictObject({
  name: z.string().min(1).optional(),
  reason: z.enum(deadReasons as [string, ...string[]]).optional(),
  error: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  since: time.optional(),
  until: time.optional(),
})

export const deadQuery = deadFilter.extend({ afterId: z.string().min(1).optional(), limit })

export const bulkBody = z.strictObject({
  filter: deadFilter.default({}),
  /** A bulk operation over every dead letter must say so. */
  all: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  limit: z.number().int().min(1).optional(),
  perSecond: z.number().positive().optional(),
  renewIdempotencyKey: z.boolean().default(false),
})

export const replayBody = z
  .strictObject({ renewIdempotencyKey: z.boolean().default(false), payload: z.unknown() })
  .partial()
  .default({})

export const connectionQuery = z.strictObject({ limit })
export const reportQuery = z.strictObject({ name: z.string().min(1).optional(), limit })

/** A dead-letter filter without the keys the query left out. */
export const toFilter = (filter: z.output<typeof deadFilter>): DeadLetterFilter =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined))
