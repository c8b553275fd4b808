import { SeamlineError } from '../errors/index.js'
import type { Fault, FaultRule } from './faults.js'

const invalid = (item: string, reason: string): SeamlineError =>
  new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'parse faults',
    target: JSON.stringify(item),
    reason,
  })

const whole = (text: string | undefined): number | undefined =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined

function parseFault(text: string, item: string): Fault {
  const [kind = '', ...args] = text.split(':')
  switch (kind) {
    case '500':
    case '502':
    case '503':
    case '504':
      return { kind: 'status', status: Number(kind) as 500 | 502 | 503 | 504 }
    case '429': {
      const seconds = whole(args[0])
      return seconds === undefined
        ? { kind: 'rate-limit' }
        : { kind: 'rate-limit', retryAfterSeconds: seconds }
    }
    case 'latency': {
      const [min, max] = (args[0] ?? '').split('-').map(whole)
      if (min === undefined)
        throw invalid(item, 'latency needs milliseconds: latency:200 or latency:100-900')
      return { kind: 'latency', ms: max === undefined ? min : { min, max } }
    }
    case 'trickle': {
      const [chunkBytes, intervalMs] = args.map(whole)
      return {
        kind: 'trickle',
        ...(chunkBytes === undefined ? {} : { chunkBytes }),
        ...(intervalMs === undefined ? {} : { intervalMs }),
      }
    }
    case 'hang':
    case 'reset-before':
    case 'reset-after':
    case 'malformed-json':
      return { kind }
    default:
      throw invalid(
        item,
        'names no fault: use 500, 502, 503, 504, 429[:seconds], latency:MS[-MS], hang, reset-before, reset-after, trickle[:BYTES[:MS]] or malformed-json',
      )
  }
}

/**
 * Reads the command line's fault list: comma-separated `[ROUTE|]FAULT=PROBABILITY` items, e.g.
 * `503=0.05,latency:100-900=0.2,POST /v1/charges|reset-after=0.3`.
 */
export function parseFaultSpec(spec: string): FaultRule[] {
  return spec
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const bar = item.lastIndexOf('|')
      const route = bar >= 0 ? item.slice(0, bar).trim() : undefined
      const rest = bar >= 0 ? item.slice(bar + 1) : item
      const equals = rest.lastIndexOf('=')
      if (equals < 0) throw invalid(item, 'needs a probability: FAULT=0.1')
      const probability = Number(rest.slice(equals + 1))
      if (!(probability >= 0 && probability <= 1) || rest.slice(equals + 1).trim() === '') {
        throw invalid(item, 'needs a probability between 0 and 1')
      }
      const fault = parseFault(rest.slice(0, equals).trim(), item)
      return route === undefined ? { probability, fault } : { route, probability, fault }
    })
}
