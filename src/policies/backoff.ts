import { SeamlineError } from '../errors/index.js'

/**
 * How waits between retries grow. `full` (the default) draws from [0, d] where d doubles each
 * retry: the AWS analysis shows it spreads a herd of clients best. `equal` draws from [d/2, d];
 * `decorrelated` from [base, 3 × previous wait]; `none` waits exactly d.
 */
export type BackoffStrategy = 'full' | 'equal' | 'decorrelated' | 'none'

export interface BackoffOptions {
  strategy?: BackoffStrategy
  /** The first wait's scale. Default 200 ms. */
  baseMs?: number
  /** No wait is longer. Default 20 s. */
  capMs?: number
  /** A float in [0, 1); inject a seeded one for repeatable tests. Default Math.random. */
  random?: () => number
}

export interface Backoff {
  /** The wait before retry number `retry` (1 for the first retry), given the previous wait. */
  delay(retry: number, previousMs: number): number
}

function check(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'backoff',
      target: name,
      reason: `must be a finite number >= 0 (got ${String(value)})`,
    })
  }
}

export function backoff(options: BackoffOptions = {}): Backoff {
  const strategy = options.strategy ?? 'full'
  const base = options.baseMs ?? 200
  const cap = options.capMs ?? 20_000
  const random = options.random ?? Math.random
  check('baseMs', base)
  check('capMs', cap)
  if (!['full', 'equal', 'decorrelated', 'none'].includes(strategy)) {
    throw new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'backoff',
      target: 'strategy',
      reason: `must be full, equal, decorrelated or none (got ${JSON.stringify(strategy)})`,
    })
  }
  // 2^(retry-1) overflows to Infinity past ~1,000 retries; min() keeps it at the cap.
  const exponential = (retry: number): number => Math.min(cap, base * 2 ** Math.max(0, retry - 1))
  return {
    delay(retry, previousMs) {
      switch (strategy) {
        case 'none':
          return exponential(retry)
        case 'full':
          return random() * exponential(retry)
        case 'equal': {
          const d = exponential(retry)
          return d / 2 + random() * (d / 2)
        }
        case 'decorrelated': {
          const upper = Math.max(base, previousMs * 3)
          return Math.min(cap, base + random() * (upper - base))
        }
      }
    },
  }
}
