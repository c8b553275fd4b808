import { SeamlineError } from '../errors/index.js'
import type { Random } from './random.js'

/** What can go wrong with one request, the ways real providers and networks fail. */
export type Fault =
  /** An error status before anything executes. */
  | { kind: 'status'; status: 500 | 502 | 503 | 504 }
  /** 429 with `Retry-After` (seconds), before anything executes. */
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  /** Extra time before the response: fixed, or uniform between min and max. */
  | { kind: 'latency'; ms: number | { min: number; max: number } }
  /** Never answers; the request ends when the client gives up. */
  | { kind: 'hang' }
  /** The connection is reset before the request executes: nothing happened. */
  | { kind: 'reset-before' }
  /** The request executes, then the connection is reset: the effect happened, the response is lost. */
  | { kind: 'reset-after' }
  /** The response body arrives a few bytes at a time. */
  | { kind: 'trickle'; chunkBytes?: number; intervalMs?: number }
  /** The request executes and the response body is cut-off, unparseable JSON. */
  | { kind: 'malformed-json' }

export type FaultKind = Fault['kind']

/**
 * A rule picks requests by route (`'POST /v1/charges'`, `'* /v1/*'`, or `'*'` for all, the
 * default) and injects a fault with a probability, or follows a script: the n-th matching request
 * gets the n-th entry (`'ok'` for none), and requests past the end of the script get none.
 */
export type FaultRule =
  | { route?: string; probability: number; fault: Fault }
  | { route?: string; sequence: ReadonlyArray<Fault | 'ok'> }

const kinds: ReadonlySet<string> = new Set<FaultKind>([
  'status',
  'rate-limit',
  'latency',
  'hang',
  'reset-before',
  'reset-after',
  'trickle',
  'malformed-json',
])

function invalid(target: string, reason: string): SeamlineError {
  return new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'simulator faults',
    target,
    reason,
  })
}

function checkFault(fault: Fault | 'ok', where: string): void {
  if (fault === 'ok') return
  if (!kinds.has((fault as { kind?: unknown })?.kind as string)) {
    throw invalid(where, `has an unknown fault kind (got ${JSON.stringify(fault)})`)
  }
  if (fault.kind === 'status' && ![500, 502, 503, 504].includes(fault.status)) {
    throw invalid(where, `status must be 500, 502, 503 or 504 (got ${String(fault.status)})`)
  }
}

/** Matches `'METHOD /path'` patterns where `*` stands for any run of characters. */
function routeMatcher(pattern: string): (route: string) => boolean {
  if (pattern === '*') return () => true
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  const regex = new RegExp(`^${source}$`)
  return (route) => regex.test(route)
}

interface CompiledRule {
  matches: (route: string) => boolean
  pick: () => Fault | undefined
}

/** Decides, reproducibly from the seed, which fault (if any) each request meets. */
export class FaultPlan {
  #rules: CompiledRule[] = []

  constructor(
    private readonly random: Random,
    rules: readonly FaultRule[] = [],
  ) {
    this.set(rules)
  }

  /** Replaces the rules; scripted sequences start again from their first entry. */
  set(rules: readonly FaultRule[]): void {
    this.#rules = rules.map((rule, i) => this.#compile(rule, `rules[${i}]`))
  }

  /** The fault for one request to `route` (`'POST /v1/charges'`), or undefined. */
  decide(route: string): Fault | undefined {
    for (const rule of this.#rules) {
      if (!rule.matches(route)) continue
      const fault = rule.pick()
      if (fault) return fault
    }
    return undefined
  }

  #compile(rule: FaultRule, where: string): CompiledRule {
    const matches = routeMatcher(rule.route ?? '*')
    if ('sequence' in rule) {
      rule.sequence.forEach((f, i) => checkFault(f, `${where}.sequence[${i}]`))
      const script = [...rule.sequence]
      let position = 0
      return {
        matches,
        pick: () => {
          const next = script[position++]
          return next === undefined || next === 'ok' ? undefined : next
        },
      }
    }
    const { probability, fault } = rule
    if (!(probability >= 0 && probability <= 1)) {
      throw invalid(`${where}.probability`, `must be between 0 and 1 (got ${String(probability)})`)
    }
    checkFault(fault, `${where}.fault`)
    return { matches, pick: () => (this.random.next() < probability ? fault : undefined) }
  }
}
