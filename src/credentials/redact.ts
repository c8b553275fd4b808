/** A secret format to mask: every match of `pattern` (global) becomes `[redacted:<name>]`. */
export interface RedactionPattern {
  readonly name: string
  /** Global. A named group `keep` is kept (`Bearer `, `postgres://user:`). */
  readonly pattern: RegExp
}

// Base64 characters, also when JSON-escaped as `\/` (some serialisers escape the slash).
const b64 = String.raw`(?:[A-Za-z0-9+=]|\\?/)`
const slash = String.raw`\\?/`

/**
 * The secret formats of the public secret scanners (gitleaks, trufflehog), tuned to mask only
 * the secret: no keyword context is needed and ordinary text around a match is left alone.
 * Order matters: more specific formats come first.
 */
export const redactionPatterns: readonly RedactionPattern[] = Object.freeze(
  (
    [
      [
        'private-key',
        String.raw`-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)`,
      ],
      ['onepassword', String.raw`\bops_eyJ${b64}{250,}`],
      ['jwt', String.raw`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*`],
      ['stripe', String.raw`\b(?:sk|rk|pk)_(?:test|live|prod)_[A-Za-z0-9]{10,247}`],
      ['stripe-webhook-secret', String.raw`\bwhsec_${b64}{16,}`],
      ['github', String.raw`\bgh[pousr]_[0-9A-Za-z]{36,255}`],
      ['github', String.raw`\bgithub_pat_\w{82,}`],
      ['slack', String.raw`\bxox[abposre]-[0-9A-Za-z-]{10,}`],
      ['slack', String.raw`\bxapp-\d-[A-Za-z0-9-]{10,}`],
      [
        'slack-webhook',
        String.raw`\bhttps:${slash}${slash}hooks\.slack\.com${slash}(?:services|workflows|triggers)${slash}(?:[A-Za-z0-9_+-]|${slash})+`,
      ],
      ['anthropic', String.raw`\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}`],
      ['openai', String.raw`\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}`],
      ['openai', String.raw`\bsk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]*`],
      ['aws', String.raw`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`],
      ['google-api-key', String.raw`\bAIza[\w-]{35}`],
      ['shopify', String.raw`\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`],
      ['sendgrid', String.raw`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`],
      ['twilio', String.raw`\bSK[0-9a-fA-F]{32}\b`],
      ['twilio', String.raw`\bAC[0-9a-f]{32}\b`],
      ['resend', String.raw`\bre_[1-9A-HJ-NP-Za-km-z]{8}_[1-9A-HJ-NP-Za-km-z]{24}\b`],
      ['doppler', String.raw`\bdp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9._-]{38,}[A-Za-z0-9]`],
      ['vault', String.raw`\bhv[sb]\.[\w-]{90,}`],
      ['authorization', String.raw`(?<keep>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/-]{16,}=*`],
      [
        'url-password',
        String.raw`(?<keep>\b[a-z][a-z0-9+.-]*:${slash}${slash}[^\s/:@"'\\]+:)[^\s/@"'\\]+(?=@)`,
      ],
    ] as const
  ).map(([name, source]) => ({
    name,
    pattern: new RegExp(source, name === 'authorization' ? 'gi' : 'g'),
  })),
)

/** Property names whose values `redactValue` masks whole, whatever they hold. */
export const sensitiveKeys =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|apikey|password|passwd|secret|client[-_]?secret|access[-_]?token|refresh[-_]?token|id[-_]?token|private[-_]?key)$/i

export interface RedactorOptions {
  /** Values to mask wherever they appear, besides the known formats. */
  secrets?: Iterable<string>
  /** The formats to mask; `redactionPatterns` by default. */
  patterns?: readonly RedactionPattern[]
  /** Property names whose values are masked whole; `false` for none. */
  sensitiveKeys?: RegExp | false
  /**
   * Registered values shorter than this are not masked (they would mask ordinary words); 6 by
   * default. Known formats are masked whatever this says.
   */
  minSecretLength?: number
}

/** One masking policy shared by logs, errors, metrics labels and the dashboard. */
export interface Redactor {
  /** The text with every known secret format and every registered secret masked. */
  redact(text: string): string
  /**
   * A copy of the value with every string in it redacted: through arrays, plain objects,
   * `Map`s, `Set`s and errors (message, stack, cause and own properties). Cycles are kept.
   */
  redactValue<T>(value: T): T
  /** Registers a secret value to mask from now on. */
  addSecret(value: string): void
}

// What an error says of itself, wherever it keeps it (own, or a getter of its prototype).
const errorProps = ['name', 'message', 'stack', 'cause', 'code'] as const

export const mask = (name?: string): string => (name ? `[redacted:${name}]` : '[redacted]')

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

/** The forms a secret takes once serialised: JSON-escaped (once or twice), `\/`, URL-encoded. */
function variants(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const twice = JSON.stringify(json).slice(1, -1)
  return [secret, json, twice, json.replace(/\//g, '\\/'), encodeURIComponent(secret)]
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const patterns = options.patterns ?? redactionPatterns
  const keys = options.sensitiveKeys ?? sensitiveKeys
  const minLength = options.minSecretLength ?? 6
  const secrets = new Set<string>()
  let registered: RegExp | undefined

  const addSecret = (value: string): void => {
    if (typeof value !== 'string' || value.length < minLength || secrets.has(value)) return
    secrets.add(value)
    registered = undefined
  }
  for (const secret of options.secrets ?? []) addSecret(secret)

  const redact = (text: string): string => {
    let out = text
    if (secrets.size > 0) {
      registered ??= new RegExp(
        [...new Set([...secrets].flatMap(variants))]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      )
      out = out.replace(registered, mask())
    }
    for (const { name, pattern } of patterns) {
      out = out.replace(pattern, (...args: unknown[]) => {
        const groups = args.at(-1)
        const keep =
          typeof groups === 'object' && groups !== null
            ? (groups as { keep?: string }).keep
            : undefined
        return (keep ?? '') + mask(name)
      })
    }
    return out
  }

  const redactValue = <T>(value: T): T => {
    const seen = new Map<object, unknown>()
    const visit = (input: unknown, key?: string): unknown => {
      if (typeof input === 'string') {
        return keys && key !== undefined && keys.test(key) ? mask() : redact(input)
      }
      if (typeof input !== 'object' || input === null) {
        if (keys && key !== undefined && keys.test(key) && input !== undefined) return mask()
        return input
      }
      const done = seen.get(input)
      if (done !== undefined) return done
      if (Array.isArray(input)) {
        const copy: unknown[] = []
        seen.set(input, copy)
        for (const item of input) copy.push(visit(item))
        return copy
      }
      if (input instanceof Map) {
        const copy = new Map<unknown, unknown>()
        seen.set(input, copy)
        for (const [k, v] of input)
          copy.set(visit(k), visit(v, typeof k === 'string' ? k : undefined))
        return copy
      }
      if (input instanceof Set) {
        const copy = new Set<unknown>()
        seen.set(input, copy)
        for (const item of input) copy.add(visit(item))
        return copy
      }
      if (
        input instanceof Date ||
        input instanceof RegExp ||
        ArrayBuffer.isView(input) ||
        input instanceof ArrayBuffer
      ) {
        return input
      }
      if (keys && key !== undefined && keys.test(key)) return mask()
      const copy = Object.create(Object.getPrototypeOf(input) as object | null) as Record<
        PropertyKey,
        unknown
      >
      seen.set(input, copy)
      if (input instanceof Error) {
        // message, stack and cause are own but not enumerable; name usually inherited. Some
        // errors keep them in getters of their prototype, which refuse any other receiver
        // (DOMException's): read here, they become the copy's own.
        for (const prop of errorProps) {
          if (!(prop in input)) continue
          let value: unknown
          try {
            value = (input as unknown as Record<string, unknown>)[prop]
          } catch {
            continue
          }
          Object.defineProperty(copy, prop, {
            value: visit(value),
            writable: true,
            configurable: true,
            enumerable: Object.getOwnPropertyDescriptor(input, prop)?.enumerable ?? false,
          })
        }
        // A non-enumerable brand symbol (SeamlineError's) keeps the copy recognisable.
        for (const symbol of Object.getOwnPropertySymbols(input)) {
          const descriptor = Object.getOwnPropertyDescriptor(input, symbol)
          if (descriptor) Object.defineProperty(copy, symbol, descriptor)
        }
      }
      for (const [k, v] of Object.entries(input)) {
        if (input instanceof Error && (errorProps as readonly string[]).includes(k)) continue
        copy[k] = visit(v, k)
      }
      return copy
    }
    return visit(value) as T
  }

  return { redact, redactValue, addSecret }
}

const shared = createRedactor()

/** Masks every known secret format in the text (no registered values: use `createRedactor`). */
export function redact(text: string): string {
  return shared.redact(text)
}

/** `redact` through a value: arrays, objects, maps, sets and errors. */
export function redactValue<T>(value: T): T {
  return shared.redactValue(value)
}
