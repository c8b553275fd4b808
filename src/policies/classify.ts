/**
 * What the classifier looks at for one attempt of an outbound call. Everything is optional:
 * a network failure has no status, a plain function call has no method.
 */
export interface CallFacts {
  /** The error thrown, when the attempt threw. */
  error?: unknown
  status?: number
  /** Response header lookup (lower-case names). */
  header?: (name: string) => string | undefined
  method?: string
  /** True when the call carries an idempotency key, so repeating it cannot repeat its effect. */
  idempotencyKey?: boolean
}

/**
 * `retry`: safe to repeat, whatever the method. `retry-if-safe`: the request may have taken
 * effect, so repeat only an idempotent method or a call with an idempotency key. `fail`: do not
 * repeat. `success`: nothing went wrong.
 */
export type Verdict = 'retry' | 'retry-if-safe' | 'fail' | 'success'

export interface Rule {
  /** Why, in a few words: shown in attempt histories and events. */
  reason: string
  matches: (facts: CallFacts) => boolean
  verdict: Verdict
}

export interface Classification {
  retryable: boolean
  verdict: Verdict
  reason: string
}

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

const codeOf = (error: unknown): string | undefined => {
  // Node puts the code on the error; fetch (undici) on its cause.
  const direct = (error as { code?: unknown } | null)?.code
  if (typeof direct === 'string') return direct
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code
  return typeof cause === 'string' ? cause : undefined
}

const header = (facts: CallFacts, name: string): string | undefined =>
  facts.header?.(name)?.trim().toLowerCase()

const codeIn =
  (codes: readonly string[]) =>
  (facts: CallFacts): boolean => {
    const code = facts.error === undefined ? undefined : codeOf(facts.error)
    return code !== undefined && codes.includes(code)
  }

const statusIn =
  (statuses: readonly number[]) =>
  (facts: CallFacts): boolean =>
    facts.status !== undefined && statuses.includes(facts.status)

/**
 * The one table of failure decisions, first match wins. Provider signals come first because the
 * provider knows whether the request took effect; then errors raised before the request left
 * (nothing happened); then errors after it left (it may have happened); then statuses.
 */
export const defaultRules: readonly Rule[] = [
  {
    reason: 'provider said not to retry',
    verdict: 'fail',
    matches: (f) =>
      header(f, 'stripe-should-retry') === 'false' || header(f, 'x-should-retry') === 'false',
  },
  {
    reason: 'provider said to retry',
    verdict: 'retry',
    matches: (f) =>
      header(f, 'stripe-should-retry') === 'true' || header(f, 'x-should-retry') === 'true',
  },
  {
    reason: 'connection failed before the request was sent',
    verdict: 'retry',
    matches: codeIn([
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ENETUNREACH',
      'EHOSTUNREACH',
      'UND_ERR_CONNECT_TIMEOUT',
    ]),
  },
  {
    reason: 'connection lost after the request was sent',
    verdict: 'retry-if-safe',
    matches: codeIn([
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'ECONNABORTED',
      'UND_ERR_SOCKET',
      'UND_ERR_CLOSED',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
    ]),
  },
  {
    // An attempt that ran out of time may have reached the provider: like a lost connection.
    reason: 'attempt timed out',
    verdict: 'retry-if-safe',
    matches: (f) => (f.error as { code?: unknown } | null)?.code === 'SEAM_ERR_TIMEOUT',
  },
  {
    // The provider answered (and may have acted) but the body was cut or garbled on the way.
    reason: 'malformed response',
    verdict: 'retry-if-safe',
    matches: (f) => (f.error as { code?: unknown } | null)?.code === 'SEAM_ERR_MALFORMED_RESPONSE',
  },
  { reason: 'rate limited', verdict: 'retry', matches: statusIn([429]) },
  {
    reason: 'request timeout or too early',
    verdict: 'retry',
    matches: statusIn([408, 425]),
  },
  { reason: 'server error', verdict: 'retry-if-safe', matches: statusIn([500, 502, 503, 504]) },
  {
    reason: 'ok',
    verdict: 'success',
    matches: (f) => f.error === undefined && f.status !== undefined && f.status < 400,
  },
  {
    reason: 'client error',
    verdict: 'fail',
    matches: (f) => f.status !== undefined && f.status >= 400 && f.status < 500,
  },
]

/** Classifies one attempt with `rules` (default: `defaultRules`). */
export function classify(facts: CallFacts, rules: readonly Rule[] = defaultRules): Classification {
  const rule = rules.find((r) => r.matches(facts))
  if (!rule) {
    const failed = facts.error !== undefined || (facts.status ?? 0) >= 400
    return failed
      ? {
          retryable: false,
          verdict: 'fail',
          reason: facts.error !== undefined ? 'unrecognised error' : `status ${facts.status}`,
        }
      : { retryable: false, verdict: 'success', reason: 'ok' }
  }
  const safe =
    facts.idempotencyKey === true ||
    (facts.method !== undefined && idempotentMethods.has(facts.method.toUpperCase()))
  const retryable = rule.verdict === 'retry' || (rule.verdict === 'retry-if-safe' && safe)
  const reason =
    rule.verdict === 'retry-if-safe' && !safe
      ? `${rule.reason}; not retried: ${facts.method ?? 'the call'} is not idempotent and has no idempotency key`
      : rule.reason
  return {
    retryable,
    verdict: rule.verdict,
    reason:
      facts.status !== undefined && rule.verdict !== 'success'
        ? `${reason} (${facts.status})`
        : reason,
  }
}
